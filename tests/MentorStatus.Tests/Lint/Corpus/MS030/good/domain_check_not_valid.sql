alter domain public.short_label add constraint short_label_length check (length(value) <= 40) not valid;
-- A domain no existing column uses has no value to check.
create domain public.code as text;
alter domain public.code add constraint code_upper check (value = upper(value));
