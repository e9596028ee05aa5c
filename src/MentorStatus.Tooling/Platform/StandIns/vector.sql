-- Stand-in for pgvector (`create extension vector`), for `db lint`'s replay on a server without it. Lint-only: never
-- a migration, never on a real database. The types vector, halfvec and sparsevec keep their text form and a type
-- modifier (vector(1536) prints as such) through PostgreSQL's own text and varchar functions; the distance functions
-- and operators (<->, <#>, <=>, <+>) compute on the text form; the index access methods hnsw and ivfflat exist with
-- pgvector's operator class names, built on the hash index's handler (no C code can be loaded): an hnsw/ivfflat index locks and
-- builds as any index build does, which is what the lint traces, and its storage parameters (m, ef_construction,
-- lists) are checked by the lint, not by the server.
do $standin$
declare
    t text;
    am text;
    s text := '@extschema_name@';
begin
    if to_regtype(format('%I.vector', s)) is not null then
        return;
    end if;
    foreach t in array array['vector', 'halfvec', 'sparsevec'] loop
        execute format('create type %I.%I', s, t);
        execute format('create function %1$I.%2$I_in(cstring, oid, integer) returns %1$I.%2$I language internal immutable strict parallel safe as %3$L', s, t, 'textin');
        execute format('create function %1$I.%2$I_out(%1$I.%2$I) returns cstring language internal immutable strict parallel safe as %3$L', s, t, 'textout');
        execute format('create function %1$I.%2$I_typmod_in(cstring[]) returns integer language internal immutable strict parallel safe as %3$L', s, t, 'varchartypmodin');
        execute format('create function %1$I.%2$I_typmod_out(integer) returns cstring language internal immutable strict parallel safe as %3$L', s, t, 'varchartypmodout');
        execute format('create type %1$I.%2$I (input = %1$I.%2$I_in, output = %1$I.%2$I_out, typmod_in = %1$I.%2$I_typmod_in, '
                       'typmod_out = %1$I.%2$I_typmod_out, internallength = variable, storage = extended, category = %3$L)', s, t, 'U');
        -- the elements, from the text form '[1,2,3]'
        execute format('create function %1$I.%2$I_elements(%1$I.%2$I) returns float8[] language sql immutable strict parallel safe '
                       'as $body$ select pg_catalog.string_to_array(pg_catalog.btrim($1::pg_catalog.text, ''[]''), '','')::pg_catalog.float8[] $body$', s, t);
        execute format('create function %1$I.l2_distance(%1$I.%2$I, %1$I.%2$I) returns float8 language sql immutable strict parallel safe '
                       'as $body$ select pg_catalog.sqrt(pg_catalog.sum((x - y) ^ 2)) from unnest(%1$I.%2$I_elements($1), %1$I.%2$I_elements($2)) u(x, y) $body$', s, t);
        execute format('create function %1$I.l1_distance(%1$I.%2$I, %1$I.%2$I) returns float8 language sql immutable strict parallel safe '
                       'as $body$ select pg_catalog.sum(pg_catalog.abs(x - y)) from unnest(%1$I.%2$I_elements($1), %1$I.%2$I_elements($2)) u(x, y) $body$', s, t);
        execute format('create function %1$I.inner_product(%1$I.%2$I, %1$I.%2$I) returns float8 language sql immutable strict parallel safe '
                       'as $body$ select pg_catalog.sum(x * y) from unnest(%1$I.%2$I_elements($1), %1$I.%2$I_elements($2)) u(x, y) $body$', s, t);
        execute format('create function %1$I.%2$I_negative_inner_product(%1$I.%2$I, %1$I.%2$I) returns float8 language sql immutable strict parallel safe '
                       'as $body$ select - %1$I.inner_product($1, $2) $body$', s, t);
        execute format('create function %1$I.cosine_distance(%1$I.%2$I, %1$I.%2$I) returns float8 language sql immutable strict parallel safe '
                       'as $body$ select 1 - pg_catalog.sum(x * y) / (pg_catalog.sqrt(pg_catalog.sum(x * x)) * pg_catalog.sqrt(pg_catalog.sum(y * y))) '
                       'from unnest(%1$I.%2$I_elements($1), %1$I.%2$I_elements($2)) u(x, y) $body$', s, t);
        execute format('create function %1$I.vector_dims(%1$I.%2$I) returns integer language sql immutable strict parallel safe '
                       'as $body$ select pg_catalog.cardinality(%1$I.%2$I_elements($1)) $body$', s, t);
        execute format('create function %1$I.vector_norm(%1$I.%2$I) returns float8 language sql immutable strict parallel safe '
                       'as $body$ select pg_catalog.sqrt(pg_catalog.sum(x * x)) from unnest(%1$I.%2$I_elements($1)) x $body$', s, t);
        execute format('create function %1$I.l2_normalize(%1$I.%2$I) returns %1$I.%2$I language sql immutable strict parallel safe '
                       'as $body$ select (''['' || pg_catalog.array_to_string(pg_catalog.array_agg(x / %1$I.vector_norm($1)), '','') || '']'')::%1$I.%2$I '
                       'from unnest(%1$I.%2$I_elements($1)) x $body$', s, t);
        execute format('create function %1$I.%2$I_cmp(%1$I.%2$I, %1$I.%2$I) returns integer language sql immutable strict parallel safe '
                       'as $body$ select case when %1$I.%2$I_elements($1) < %1$I.%2$I_elements($2) then -1 when %1$I.%2$I_elements($1) > %1$I.%2$I_elements($2) then 1 else 0 end $body$', s, t);
        execute format('create operator %1$I.<-> (leftarg = %1$I.%2$I, rightarg = %1$I.%2$I, function = %1$I.l2_distance, commutator = operator(%1$I.<->))', s, t);
        execute format('create operator %1$I.<#> (leftarg = %1$I.%2$I, rightarg = %1$I.%2$I, function = %1$I.%2$I_negative_inner_product, commutator = operator(%1$I.<#>))', s, t);
        execute format('create operator %1$I.<=> (leftarg = %1$I.%2$I, rightarg = %1$I.%2$I, function = %1$I.cosine_distance, commutator = operator(%1$I.<=>))', s, t);
        execute format('create operator %1$I.<+> (leftarg = %1$I.%2$I, rightarg = %1$I.%2$I, function = %1$I.l1_distance, commutator = operator(%1$I.<+>))', s, t);
        -- comparison, for btree (and for the stand-in access methods, which are btree underneath)
        execute format('create function %1$I.%2$I_lt(%1$I.%2$I, %1$I.%2$I) returns boolean language sql immutable strict parallel safe as $body$ select %1$I.%2$I_cmp($1, $2) < 0 $body$', s, t);
        execute format('create function %1$I.%2$I_le(%1$I.%2$I, %1$I.%2$I) returns boolean language sql immutable strict parallel safe as $body$ select %1$I.%2$I_cmp($1, $2) <= 0 $body$', s, t);
        execute format('create function %1$I.%2$I_eq(%1$I.%2$I, %1$I.%2$I) returns boolean language sql immutable strict parallel safe as $body$ select %1$I.%2$I_cmp($1, $2) = 0 $body$', s, t);
        execute format('create function %1$I.%2$I_ge(%1$I.%2$I, %1$I.%2$I) returns boolean language sql immutable strict parallel safe as $body$ select %1$I.%2$I_cmp($1, $2) >= 0 $body$', s, t);
        execute format('create function %1$I.%2$I_gt(%1$I.%2$I, %1$I.%2$I) returns boolean language sql immutable strict parallel safe as $body$ select %1$I.%2$I_cmp($1, $2) > 0 $body$', s, t);
        execute format('create operator %1$I.< (leftarg = %1$I.%2$I, rightarg = %1$I.%2$I, function = %1$I.%2$I_lt)', s, t);
        execute format('create operator %1$I.<= (leftarg = %1$I.%2$I, rightarg = %1$I.%2$I, function = %1$I.%2$I_le)', s, t);
        execute format('create operator %1$I.= (leftarg = %1$I.%2$I, rightarg = %1$I.%2$I, function = %1$I.%2$I_eq)', s, t);
        execute format('create operator %1$I.>= (leftarg = %1$I.%2$I, rightarg = %1$I.%2$I, function = %1$I.%2$I_ge)', s, t);
        execute format('create operator %1$I.> (leftarg = %1$I.%2$I, rightarg = %1$I.%2$I, function = %1$I.%2$I_gt)', s, t);
        execute format('create operator class %1$I.%2$I_ops default for type %1$I.%2$I using btree as '
                       'operator 1 %1$I.<, operator 2 %1$I.<=, operator 3 %1$I.=, operator 4 %1$I.>=, operator 5 %1$I.>, function 1 %1$I.%2$I_cmp(%1$I.%2$I, %1$I.%2$I)', s, t);
        execute format('create function %1$I.%2$I_hash(%1$I.%2$I) returns integer language sql immutable strict parallel safe '
                       'as $body$ select pg_catalog.hashtext($1::pg_catalog.text) $body$', s, t);
        -- casts from and to arrays, as pgvector has them
        execute format('create function %1$I.array_to_%2$I(anyarray, integer, boolean) returns %1$I.%2$I language sql immutable strict parallel safe '
                       'as $body$ select (''['' || pg_catalog.array_to_string($1, '','') || '']'')::%1$I.%2$I $body$', s, t);
        execute format('create cast (real[] as %1$I.%2$I) with function %1$I.array_to_%2$I(anyarray, integer, boolean) as assignment', s, t);
        execute format('create cast (double precision[] as %1$I.%2$I) with function %1$I.array_to_%2$I(anyarray, integer, boolean) as assignment', s, t);
        execute format('create cast (numeric[] as %1$I.%2$I) with function %1$I.array_to_%2$I(anyarray, integer, boolean) as assignment', s, t);
        execute format('create cast (integer[] as %1$I.%2$I) with function %1$I.array_to_%2$I(anyarray, integer, boolean) as assignment', s, t);
        execute format('create function %1$I.%2$I_to_float4(%1$I.%2$I, integer, boolean) returns real[] language sql immutable strict parallel safe '
                       'as $body$ select %1$I.%2$I_elements($1)::real[] $body$', s, t);
        execute format('create cast (%1$I.%2$I as real[]) with function %1$I.%2$I_to_float4(%1$I.%2$I, integer, boolean) as implicit', s, t);
    end loop;
    execute format('create cast (%1$I.vector as %1$I.halfvec) with inout as assignment', s);
    execute format('create cast (%1$I.halfvec as %1$I.vector) with inout as assignment', s);
    execute format('create function %1$I.subvector(%1$I.vector, integer, integer) returns %1$I.vector language sql immutable strict parallel safe '
                   'as $body$ select (''['' || pg_catalog.array_to_string((%1$I.vector_elements($1))[$2:$2 + $3 - 1], '','') || '']'')::%1$I.vector $body$', s);
    execute format('create function %1$I.vector_accum(float8[], %1$I.vector) returns float8[] language sql immutable strict parallel safe '
                   'as $body$ select case when pg_catalog.cardinality($1) = 0 then %1$I.vector_elements($2) || 1::float8 else '
                   '(select pg_catalog.array_agg(coalesce(a, 0) + coalesce(b, 1) order by i) from unnest($1, %1$I.vector_elements($2) || 1::float8) with ordinality u(a, b, i)) end $body$', s);
    execute format('create function %1$I.vector_avg(float8[]) returns %1$I.vector language sql immutable strict parallel safe '
                   'as $body$ select (''['' || pg_catalog.array_to_string(pg_catalog.array_agg(x / $1[pg_catalog.cardinality($1)] order by i), '','') || '']'')::%1$I.vector '
                   'from unnest($1[1:pg_catalog.cardinality($1) - 1]) with ordinality u(x, i) $body$', s);
    execute format('create aggregate %1$I.avg(%1$I.vector) (sfunc = %1$I.vector_accum, stype = float8[], finalfunc = %1$I.vector_avg, initcond = ''{}'')', s);
    -- the index access methods, with pgvector's operator class names (default: the l2 class, as in pgvector)
    foreach am in array array['hnsw', 'ivfflat'] loop
        if not exists (select 1 from pg_am where amname = am) then
            execute format('create access method %I type index handler pg_catalog.hashhandler', am);
        end if;
        foreach t in array array['vector', 'halfvec', 'sparsevec'] loop
            execute format('create operator class %1$I.%2$I_l2_ops default for type %1$I.%2$I using %3$I as '
                           'operator 1 %1$I.=, function 1 %1$I.%2$I_hash(%1$I.%2$I)', s, t, am);
            execute format('create operator class %1$I.%2$I_ip_ops for type %1$I.%2$I using %3$I as '
                           'operator 1 %1$I.=, function 1 %1$I.%2$I_hash(%1$I.%2$I)', s, t, am);
            execute format('create operator class %1$I.%2$I_cosine_ops for type %1$I.%2$I using %3$I as '
                           'operator 1 %1$I.=, function 1 %1$I.%2$I_hash(%1$I.%2$I)', s, t, am);
            execute format('create operator class %1$I.%2$I_l1_ops for type %1$I.%2$I using %3$I as '
                           'operator 1 %1$I.=, function 1 %1$I.%2$I_hash(%1$I.%2$I)', s, t, am);
        end loop;
    end loop;
end
$standin$
