-- Profiles, one per auth user (the shape of Supabase's user-management quickstart).
create table public.profiles (
  id uuid not null references auth.users on delete cascade,
  username text unique,
  full_name text,
  avatar_url text,
  website text,
  updated_at timestamp with time zone,

  primary key (id),
  constraint username_length check (char_length(username) >= 3)
);
comment on table public.profiles is 'Public data: user names and avatars are shown to everyone.';

alter table public.profiles enable row level security;

create policy "Public profiles are viewable by everyone." on public.profiles
  for select using (true);

create policy "Users can insert their own profile." on public.profiles
  for insert to authenticated with check ((select auth.uid()) = id);

create policy "Users can update own profile." on public.profiles
  for update to authenticated using ((select auth.uid()) = id);
