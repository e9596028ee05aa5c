-- Stand-in for pgsql-http (`create extension http`): its types and function signatures; a call raises (no network here).
do $standin$
declare
    s text := '@extschema_name@';
begin
    if to_regtype(format('%I.http_response', s)) is not null then
        return;
    end if;
    execute format('create domain %I.http_method as text', s);
    execute format('create type %1$I.http_header as (field character varying, value character varying)', s);
    execute format('create type %1$I.http_request as (method %1$I.http_method, uri character varying, headers %1$I.http_header[], '
                   'content_type character varying, content character varying)', s);
    execute format('create type %1$I.http_response as (status integer, content_type character varying, headers %1$I.http_header[], content character varying)', s);
    execute format('create function %1$I.http(request %1$I.http_request) returns %1$I.http_response language plpgsql volatile '
                   'as $body$ begin raise exception ''http is a stand-in in db lint''''s replay: no request is sent''; end $body$', s);
    execute format('create function %1$I.http_get(uri character varying) returns %1$I.http_response language sql volatile '
                   'as $body$ select %1$I.http((''GET'', uri, null, null, null)::%1$I.http_request) $body$', s);
    execute format('create function %1$I.http_get(uri character varying, data jsonb) returns %1$I.http_response language sql volatile '
                   'as $body$ select %1$I.http((''GET'', uri, null, null, null)::%1$I.http_request) $body$', s);
    execute format('create function %1$I.http_post(uri character varying, content character varying, content_type character varying) returns %1$I.http_response language sql volatile '
                   'as $body$ select %1$I.http((''POST'', uri, null, content_type, content)::%1$I.http_request) $body$', s);
    execute format('create function %1$I.http_post(uri character varying, data jsonb) returns %1$I.http_response language sql volatile '
                   'as $body$ select %1$I.http((''POST'', uri, null, ''application/x-www-form-urlencoded'', data::text)::%1$I.http_request) $body$', s);
    execute format('create function %1$I.http_put(uri character varying, content character varying, content_type character varying) returns %1$I.http_response language sql volatile '
                   'as $body$ select %1$I.http((''PUT'', uri, null, content_type, content)::%1$I.http_request) $body$', s);
    execute format('create function %1$I.http_patch(uri character varying, content character varying, content_type character varying) returns %1$I.http_response language sql volatile '
                   'as $body$ select %1$I.http((''PATCH'', uri, null, content_type, content)::%1$I.http_request) $body$', s);
    execute format('create function %1$I.http_delete(uri character varying) returns %1$I.http_response language sql volatile '
                   'as $body$ select %1$I.http((''DELETE'', uri, null, null, null)::%1$I.http_request) $body$', s);
    execute format('create function %1$I.http_header(field character varying, value character varying) returns %1$I.http_header language sql immutable '
                   'as $body$ select (field, value)::%1$I.http_header $body$', s);
    execute format('create function %1$I.http_set_curlopt(curlopt character varying, value character varying) returns boolean language sql as $body$ select true $body$', s);
    execute format('create function %1$I.urlencode(string character varying) returns text language sql immutable as $body$ select string $body$', s);
    execute format('create function %1$I.urlencode(data jsonb) returns text language sql immutable as $body$ select data::text $body$', s);
end
$standin$
