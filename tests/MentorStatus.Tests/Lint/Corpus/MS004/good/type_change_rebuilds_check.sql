set lock_timeout = '3s';
alter table public.things add constraint things_sku_check check (length(sku) > 0) not valid;
alter table public.things validate constraint things_sku_check;
-- The type change drops and re-adds things_sku_check: it is re-checked by the type change itself (MS003), NOT VALID is no fix.
alter table public.things alter column sku type varchar(40);
