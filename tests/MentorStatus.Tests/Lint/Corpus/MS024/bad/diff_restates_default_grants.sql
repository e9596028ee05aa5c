-- What `supabase db diff` writes after a table: each privilege granted on its own, to each API role.
grant delete on table "public"."things" to "anon";
grant insert on table "public"."things" to "anon";
grant references on table "public"."things" to "anon"; -- expect: MS024
grant select on table "public"."things" to "anon";
grant trigger on table "public"."things" to "anon";
grant truncate on table "public"."things" to "anon";
grant update on table "public"."things" to "anon";
grant delete on table "public"."things" to "authenticated";
grant insert on table "public"."things" to "authenticated";
grant references on table "public"."things" to "authenticated";
grant select on table "public"."things" to "authenticated";
grant trigger on table "public"."things" to "authenticated";
grant truncate on table "public"."things" to "authenticated";
grant update on table "public"."things" to "authenticated";
grant delete on table "public"."things" to "service_role";
grant insert on table "public"."things" to "service_role";
grant references on table "public"."things" to "service_role";
grant select on table "public"."things" to "service_role";
grant trigger on table "public"."things" to "service_role";
grant truncate on table "public"."things" to "service_role";
grant update on table "public"."things" to "service_role";
