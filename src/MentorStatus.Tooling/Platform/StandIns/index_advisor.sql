-- Stand-in for Supabase's index_advisor (`create extension index_advisor`, which needs HypoPG), for `db lint`'s replay:
-- the function with its result columns; it advises nothing and says so in `errors`.
create or replace function @extschema@.index_advisor(query text)
    returns table (startup_cost_before jsonb, startup_cost_after jsonb, total_cost_before jsonb, total_cost_after jsonb,
                   index_statements text[], errors text[])
    language sql volatile
    as $$ select null::jsonb, null::jsonb, null::jsonb, null::jsonb, array[]::text[], array['index_advisor is a stand-in in db lint''s replay']::text[] $$
