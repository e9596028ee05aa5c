-- Stand-in for pgjwt (`create extension pgjwt`): its functions with their signatures, HS256/384/512 through pgcrypto's hmac.
do $standin$
declare
    s text := '@extschema_name@';
begin
    if to_regprocedure(format('%I.sign(json, text, text)', s)) is not null then
        return;
    end if;
    execute format('create function %1$I.url_encode(data bytea) returns text language sql immutable '
                   'as $body$ select pg_catalog.translate(pg_catalog.encode(data, ''base64''), E''+/=\n'', ''-_'') $body$', s);
    execute format('create function %1$I.url_decode(data text) returns bytea language sql immutable '
                   'as $body$ select pg_catalog.decode(pg_catalog.rpad(pg_catalog.translate(data, ''-_'', ''+/''), '
                   '4 * ((pg_catalog.length(data) + 3) / 4), ''=''), ''base64'') $body$', s);
    execute format('create function %1$I.algorithm_sign(signables text, secret text, algorithm text) returns text language sql immutable '
                   'as $body$ select %1$I.url_encode(extensions.hmac(signables, secret, case algorithm when ''HS256'' then ''sha256'' '
                   'when ''HS384'' then ''sha384'' when ''HS512'' then ''sha512'' else '''' end)) $body$', s);
    execute format('create function %1$I.sign(payload json, secret text, algorithm text default ''HS256'') returns text language sql immutable '
                   'as $body$ with h as (select %1$I.url_encode(pg_catalog.convert_to(''{"alg":"'' || algorithm || ''","typ":"JWT"}'', ''utf8'')) || ''.'' '
                   '|| %1$I.url_encode(pg_catalog.convert_to(payload::text, ''utf8'')) as signables) '
                   'select h.signables || ''.'' || %1$I.algorithm_sign(h.signables, secret, algorithm) from h $body$', s);
    execute format('create function %1$I.verify(token text, secret text, algorithm text default ''HS256'') '
                   'returns table(header json, payload json, valid boolean) language sql immutable '
                   'as $body$ select pg_catalog.convert_from(%1$I.url_decode(r[1]), ''utf8'')::json, pg_catalog.convert_from(%1$I.url_decode(r[2]), ''utf8'')::json, '
                   'r[3] = %1$I.algorithm_sign(r[1] || ''.'' || r[2], secret, algorithm) from pg_catalog.regexp_split_to_array(token, ''\.'') r $body$', s);
end
$standin$
