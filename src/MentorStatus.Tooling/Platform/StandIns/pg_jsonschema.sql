-- Stand-in for pg_jsonschema (`create extension pg_jsonschema`): its function signatures, used in CHECK constraints.
-- It accepts every document (the replay holds no rows to check).
create or replace function @extschema@.json_matches_schema(schema json, instance json) returns boolean language sql immutable as $$ select true $$;
create or replace function @extschema@.jsonb_matches_schema(schema json, instance jsonb) returns boolean language sql immutable as $$ select true $$;
create or replace function @extschema@.jsonschema_is_valid(schema json) returns boolean language sql immutable as $$ select true $$;
