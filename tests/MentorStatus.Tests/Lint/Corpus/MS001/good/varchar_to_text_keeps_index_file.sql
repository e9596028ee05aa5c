-- varchar(n) -> text is binary coercible: PostgreSQL recreates things_sku_idx under a new OID but keeps its file.
set lock_timeout = '3s';
alter table public.things alter column sku type text;
