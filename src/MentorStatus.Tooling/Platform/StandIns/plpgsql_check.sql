-- Stand-in for plpgsql_check (`create extension plpgsql_check`), for `db lint`'s replay on a server without it (Debian:
-- postgresql-15-plpgsql-check; the real one is used when installed): its checking functions, which report nothing.
do $standin$
declare
    s text := '@extschema_name@';
    options text := 'relid regclass default 0, format text default ''text'', fatal_errors boolean default true, '
                    'other_warnings boolean default true, performance_warnings boolean default false, extra_warnings boolean default true, '
                    'security_warnings boolean default false, compatibility_warnings boolean default false, oldtable name default null, '
                    'newtable name default null, anyelememttype regtype default ''int'', anyenumtype regtype default ''-'', '
                    'anyrangetype regtype default ''int4range'', anycompatibletype regtype default ''int'', '
                    'anycompatiblerangetype regtype default ''int4range'', without_warnings boolean default false, all_warnings boolean default false, '
                    'use_incomment_options boolean default true, incomment_options_usage_warning boolean default false, constant_tracing boolean default true';
    columns text := 'functionid regproc, lineno integer, statement text, sqlstate text, message text, detail text, hint text, '
                    'level text, "position" integer, query text, context text';
begin
    if to_regprocedure(format('%I.plpgsql_check_function(regprocedure)', s)) is not null then
        return;
    end if;
    execute format('create function %I.plpgsql_check_function(funcoid regprocedure, %s) returns setof text language sql '
                   'as $f$ select null::text where false $f$', s, options);
    execute format('create function %I.plpgsql_check_function(name text, %s) returns setof text language sql '
                   'as $f$ select null::text where false $f$', s, options);
    execute format('create function %I.plpgsql_check_function_tb(funcoid regprocedure, %s) returns table (%s) language sql '
                   'as $f$ select null::regproc, null::int, null, null, null, null, null, null, null::int, null, null where false $f$', s, options, columns);
    execute format('create function %I.plpgsql_check_function_tb(name text, %s) returns table (%s) language sql '
                   'as $f$ select null::regproc, null::int, null, null, null, null, null, null, null::int, null, null where false $f$', s, options, columns);
end
$standin$
