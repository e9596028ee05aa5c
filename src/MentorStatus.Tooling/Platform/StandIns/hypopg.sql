-- Stand-in for HypoPG (`create extension hypopg`), hypothetical indexes, for `db lint`'s replay on a server without it
-- (Debian: postgresql-15-hypopg; the real one is used when installed): its functions and view; an index "created" is only
-- listed, never planned with.
do $standin$
declare
    s text := '@extschema_name@';
begin
    if to_regprocedure(format('%I.hypopg_reset()', s)) is not null then
        return;
    end if;
    execute format('create table %I.hypopg_stand_in (indexrelid oid primary key, indexname text not null, amname name, relid oid, sql text)', s);
    execute format('create sequence %I.hypopg_stand_in_oid start 13000', s);
    execute format('create function %1$I.hypopg_create_index(sql_order text, out indexrelid oid, out indexname text) returns setof record '
                   'language sql as $f$ insert into %1$I.hypopg_stand_in (indexrelid, indexname, sql) '
                   'select n, ''<'' || n || ''>btree'', sql_order from (select nextval(''%1$I.hypopg_stand_in_oid'')::oid n) x '
                   'returning indexrelid, indexname $f$', s);
    execute format('create function %1$I.hypopg(out indexname text, out indexrelid oid, out indrelid oid, out innatts integer, out indisunique boolean, '
                   'out indkey int2vector, out indcollation oidvector, out indclass oidvector, out indoption oidvector, out indexprs pg_node_tree, '
                   'out indpred pg_node_tree, out amid oid) returns setof record language sql '
                   'as $f$ select indexname, indexrelid, 0::oid, 0, false, null::int2vector, null::oidvector, null::oidvector, null::oidvector, '
                   'null::pg_node_tree, null::pg_node_tree, 0::oid from %1$I.hypopg_stand_in $f$', s);
    execute format('create view %1$I.hypopg_list_indexes as select indexrelid, indexname, null::name as schema_name, null::name as table_name, '
                   'amname as am_name from %1$I.hypopg_stand_in', s);
    execute format('create function %1$I.hypopg_drop_index(indexid oid) returns boolean language sql '
                   'as $f$ with d as (delete from %1$I.hypopg_stand_in where indexrelid = indexid returning 1) select count(*) > 0 from d $f$', s);
    execute format('create function %1$I.hypopg_reset() returns void language sql as $f$ delete from %1$I.hypopg_stand_in $f$', s);
    execute format('create function %1$I.hypopg_reset_index() returns void language sql as $f$ delete from %1$I.hypopg_stand_in $f$', s);
    execute format('create function %1$I.hypopg_relation_size(indexid oid) returns bigint language sql as $f$ select 0::bigint $f$', s);
    execute format('create function %1$I.hypopg_get_indexdef(indexid oid) returns text language sql '
                   'as $f$ select sql from %1$I.hypopg_stand_in where indexrelid = indexid $f$', s);
    execute format('create function %1$I.hypopg_hide_index(indexid oid) returns boolean language sql as $f$ select false $f$', s);
    execute format('create function %1$I.hypopg_unhide_index(indexid oid) returns boolean language sql as $f$ select false $f$', s);
    execute format('create function %1$I.hypopg_unhide_all_indexes() returns void language sql as $f$ select $f$', s);
    execute format('create function %1$I.hypopg_hidden_indexes() returns setof oid language sql as $f$ select null::oid where false $f$', s);
end
$standin$
