-- Stand-in for pgmq (`create extension pgmq`), the queue behind Supabase Queues, for `db lint`'s replay where the
-- server has no pgmq (Debian packages none): schema pgmq with its meta table, record types and the functions
-- migrations call. pgmq.create makes the queue's q_<name> and a_<name> tables as pgmq does, so that statements naming
-- them replay; send/read/pop/archive/delete work on them; nothing else consumes the queues.
do $standin$
begin
    if to_regclass('pgmq.meta') is not null then
        return;
    end if;
    create schema if not exists pgmq;
    create table pgmq.meta (queue_name varchar unique not null, is_partitioned boolean not null default false,
        is_unlogged boolean not null default false, created_at timestamptz not null default now());
    create type pgmq.message_record as (msg_id bigint, read_ct integer, enqueued_at timestamptz, vt timestamptz, message jsonb);
    create type pgmq.queue_record as (queue_name varchar, is_partitioned boolean, is_unlogged boolean, created_at timestamptz);
    create type pgmq.metrics_result as (queue_name text, queue_length bigint, newest_msg_age_sec integer, oldest_msg_age_sec integer,
        total_messages bigint, scrape_time timestamptz);

    create function pgmq._create(queue_name text, unlogged boolean, partitioned boolean) returns void language plpgsql as $f$
    begin
        execute format('create %s table if not exists pgmq.%I (msg_id bigint primary key generated always as identity, '
                       'read_ct integer not null default 0, enqueued_at timestamptz not null default now(), vt timestamptz not null, message jsonb)',
                       case when unlogged then 'unlogged' else '' end, 'q_' || queue_name);
        execute format('create table if not exists pgmq.%I (msg_id bigint primary key, read_ct integer not null default 0, '
                       'enqueued_at timestamptz not null default now(), archived_at timestamptz not null default now(), vt timestamptz not null, message jsonb)',
                       'a_' || queue_name);
        insert into pgmq.meta (queue_name, is_partitioned, is_unlogged) values (queue_name, partitioned, unlogged) on conflict do nothing;
    end $f$;
    create function pgmq.create(queue_name text) returns void language sql as $f$ select pgmq._create(queue_name, false, false) $f$;
    create function pgmq.create_non_partitioned(queue_name text) returns void language sql as $f$ select pgmq._create(queue_name, false, false) $f$;
    create function pgmq.create_unlogged(queue_name text) returns void language sql as $f$ select pgmq._create(queue_name, true, false) $f$;
    create function pgmq.create_partitioned(queue_name text, partition_interval text default '10000', retention_interval text default '100000')
        returns void language sql as $f$ select pgmq._create(queue_name, false, true) $f$;
    create function pgmq.drop_queue(queue_name text) returns boolean language plpgsql as $f$
    begin
        execute format('drop table if exists pgmq.%I, pgmq.%I', 'q_' || queue_name, 'a_' || queue_name);
        delete from pgmq.meta m where m.queue_name = drop_queue.queue_name;
        return found;
    end $f$;
    create function pgmq.send_batch(queue_name text, msgs jsonb[], delay integer default 0) returns setof bigint language plpgsql as $f$
    begin
        return query execute format('insert into pgmq.%I (vt, message) select now() + make_interval(secs => $2), m from unnest($1) m returning msg_id',
                                    'q_' || queue_name) using msgs, delay;
    end $f$;
    create function pgmq.send(queue_name text, msg jsonb, delay integer default 0) returns setof bigint language sql
        as $f$ select pgmq.send_batch(queue_name, array[msg], delay) $f$;
    create function pgmq.read(queue_name text, vt integer, qty integer) returns setof pgmq.message_record language plpgsql as $f$
    begin
        return query execute format('update pgmq.%1$I q set vt = now() + make_interval(secs => $1), read_ct = q.read_ct + 1 '
                                    'where q.msg_id in (select msg_id from pgmq.%1$I where vt <= now() order by msg_id limit $2 for update skip locked) '
                                    'returning q.msg_id, q.read_ct, q.enqueued_at, q.vt, q.message', 'q_' || queue_name) using vt, qty;
    end $f$;
    create function pgmq.read_with_poll(queue_name text, vt integer, qty integer, max_poll_seconds integer default 5,
        poll_interval_ms integer default 100) returns setof pgmq.message_record language sql as $f$ select * from pgmq.read(queue_name, vt, qty) $f$;
    create function pgmq.set_vt(queue_name text, msg_id bigint, vt integer) returns setof pgmq.message_record language plpgsql as $f$
    begin
        return query execute format('update pgmq.%I q set vt = now() + make_interval(secs => $2) where q.msg_id = $1 '
                                    'returning q.msg_id, q.read_ct, q.enqueued_at, q.vt, q.message', 'q_' || queue_name) using msg_id, vt;
    end $f$;
    create function pgmq.delete(queue_name text, msg_ids bigint[]) returns setof bigint language plpgsql as $f$
    begin
        return query execute format('delete from pgmq.%I where msg_id = any ($1) returning msg_id', 'q_' || queue_name) using msg_ids;
    end $f$;
    create function pgmq.delete(queue_name text, msg_id bigint) returns boolean language sql
        as $f$ select exists (select from pgmq.delete(queue_name, array[msg_id])) $f$;
    create function pgmq.archive(queue_name text, msg_ids bigint[]) returns setof bigint language plpgsql as $f$
    begin
        return query execute format('with d as (delete from pgmq.%I where msg_id = any ($1) returning *) '
                                    'insert into pgmq.%I (msg_id, read_ct, enqueued_at, vt, message) select msg_id, read_ct, enqueued_at, vt, message from d returning msg_id',
                                    'q_' || queue_name, 'a_' || queue_name) using msg_ids;
    end $f$;
    create function pgmq.archive(queue_name text, msg_id bigint) returns boolean language sql
        as $f$ select exists (select from pgmq.archive(queue_name, array[msg_id])) $f$;
    create function pgmq.pop(queue_name text) returns setof pgmq.message_record language plpgsql as $f$
    begin
        return query execute format('delete from pgmq.%1$I where msg_id = (select msg_id from pgmq.%1$I where vt <= now() order by msg_id limit 1 for update skip locked) '
                                    'returning msg_id, read_ct, enqueued_at, vt, message', 'q_' || queue_name);
    end $f$;
    create function pgmq.purge_queue(queue_name text) returns bigint language plpgsql as $f$
    declare
        deleted bigint;
    begin
        execute format('with d as (delete from pgmq.%I returning 1) select count(*) from d', 'q_' || queue_name) into deleted;
        return deleted;
    end $f$;
    create function pgmq.list_queues() returns setof pgmq.queue_record language sql
        as $f$ select queue_name, is_partitioned, is_unlogged, created_at from pgmq.meta $f$;
    create function pgmq.metrics(queue_name text) returns pgmq.metrics_result language plpgsql as $f$
    declare
        result pgmq.metrics_result;
    begin
        execute format('select $1, count(*), extract(epoch from now() - max(enqueued_at))::int, extract(epoch from now() - min(enqueued_at))::int, '
                       'coalesce(max(msg_id), 0), now() from pgmq.%I', 'q_' || queue_name) into result using queue_name;
        return result;
    end $f$;
    create function pgmq.metrics_all() returns setof pgmq.metrics_result language sql
        as $f$ select (pgmq.metrics(m.queue_name)).* from pgmq.meta m $f$;
end
$standin$
