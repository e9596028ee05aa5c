-- Stand-in for Supabase Wrappers (`create extension wrappers`): a handler, validator and meta function per wrapper, so
-- that `create foreign data wrapper stripe_wrapper handler stripe_fdw_handler validator stripe_fdw_validator`, its
-- servers and foreign tables replay. The handlers are postgres_fdw's C handler where the server has postgres_fdw (reading a
-- foreign table is never replayed); the validators accept every option (wrappers checks them when a query runs).
do $standin$
declare
    s text := '@extschema_name@';
    w text;
    handler text := '$libdir/postgres_fdw';
begin
    foreach w in array array['airtable', 'auth0', 'bigquery', 'cal', 'calendly', 'clerk', 'clickhouse', 'cognito', 'duckdb', 'firebase',
                             'gravatar', 'hubspot', 'iceberg', 'logflare', 'mssql', 'notion', 'paddle', 'redis', 's3', 's3_vectors',
                             'snowflake', 'stripe', 'wasm'] loop
        if to_regprocedure(format('%I.%I_fdw_validator(text[], oid)', s, w)) is not null then
            continue;
        end if;
        begin
            execute format('create function %I.%I_fdw_handler() returns fdw_handler language c strict as %L, %L', s, w, handler, 'postgres_fdw_handler');
        exception when others then
            null; -- no postgres_fdw on this server: the wrapper is created without a handler below
        end;
        execute format('create function %I.%I_fdw_validator(options text[], catalog oid) returns void language plpgsql as $body$ begin end $body$', s, w);
        execute format('create function %I.%I_fdw_meta() returns table(name text, version text, author text, website text) language sql '
                       'as $body$ select %L::text, ''stand-in''::text, ''db lint''::text, ''''::text $body$', s, w, w);
    end loop;
end
$standin$;
