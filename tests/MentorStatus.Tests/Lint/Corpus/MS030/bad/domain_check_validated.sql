alter domain public.short_label add constraint short_label_length check (length(value) <= 40); -- expect: MS030
