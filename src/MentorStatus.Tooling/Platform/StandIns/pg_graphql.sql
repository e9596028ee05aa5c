-- Stand-in for pg_graphql (`create extension pg_graphql`, preinstalled on hosted Supabase): schemas graphql and
-- graphql_public with the resolve entry points. Comment directives (@graphql(...)) are plain comments and replay as such.
create schema if not exists graphql;
create schema if not exists graphql_public;
create or replace function graphql.resolve(query text default null, variables jsonb default '{}', "operationName" text default null,
    extensions jsonb default null) returns jsonb language sql as $$ select '{"errors": [{"message": "pg_graphql stand-in"}]}'::jsonb $$;
create or replace function graphql_public.graphql("operationName" text default null, query text default null, variables jsonb default null,
    extensions jsonb default null) returns jsonb language sql as $$ select graphql.resolve(query, coalesce(variables, '{}'), "operationName", extensions) $$;
create or replace function graphql.comment_directive(comment_ text) returns jsonb language sql immutable
    as $$ select substring(comment_ from '@graphql\((.*)\)')::jsonb $$;
