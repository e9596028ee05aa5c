alter type public.org_role add value if not exists 'billing' after 'admin';
