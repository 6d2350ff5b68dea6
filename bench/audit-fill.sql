-- bench/audit-fill.sql: fills the audit benchmark's database (run by bench/audit.sh with psql).
--
-- Before it runs, the API has written real events for the measured account: sign-up, logins, its
-- instances, and one of each kind of change. This script adds the rest of that account's history
-- and the histories of other accounts, in time order, writing mt_events and mt_streams as Marten's
-- append function (sharedcloud.mt_quick_append_events, which the API's sessions call) does, but
-- set-based (calling the function once per request took 5 minutes for 200,000 events here).
-- Every column value is copied from the account's real rows of the same type (mt_dotnet_type, the
-- shape of data and of headers, method and path) with the ids, names, prices etc. changed; each
-- request gets its own correlation id, and its events one timestamp, spread over span_days before
-- now. The read models (inline projections) are not updated for these synthetic events: the audit
-- feed reads mt_events only. bench/audit.sh checks the result, and appends through the API on top.
--
-- psql variables: owner (the measured account's id), events (its total number of events, real ones
-- included), other_accounts, other_events (their events in all), span_days, seed (-1..1).
\set ON_ERROR_STOP on
set client_min_messages = warning;
select setseed(:seed);

-- The time line: synthetic requests are placed at ord in [0, 1) → start + ord * span. The events
-- the API wrote are moved just before start, so that times grow with seq_id as in real life.
create temp table timeline as
  select now() - make_interval(days => :span_days) as start, make_interval(days => :span_days) as span,
         (select max(seq_id) from sharedcloud.mt_events) as real_max_seq;

-- One real row of each event type the measured account has: the template for that type.
create temp table tpl as
  select distinct on (type) type, mt_dotnet_type, data, headers
  from sharedcloud.mt_events where headers ->> 'owner_id' = :'owner' order by type, seq_id;

-- A request's shape, by share of requests (about half the GPU changes become price changes, below:
-- an instance is a CPU one half of the time). account_email_changed stands for a PATCH of the email,
-- which appends two events (account_email_changed, account_key_rotated), as the API does.
create temp table mix (type text primary key, share float8, lo float8, hi float8);
insert into mix (type, share) values
  ('instance_price_changed', 0.56), ('instance_parallelism_changed', 0.15), ('account_logged_in', 0.10),
  ('instance_gpu_changed', 0.10), ('instance_type_changed', 0.05), ('instance_renamed', 0.02),
  ('account_email_changed', 0.02);
update mix set lo = c.lo, hi = c.hi
  from (select type, sum(share) over w - share as lo, sum(share) over w as hi from mix
        window w as (order by share desc, type rows unbounded preceding)) c
  where mix.type = c.type;
update mix set hi = 1.0 where hi = (select max(hi) from mix); -- no gap at the top from rounding

do $$
declare missing text;
begin
  select string_agg(t, ', ') into missing
    from unnest(array['account_registered', 'instance_registered', 'account_key_rotated'] || array(select type from mix)) t
    where t not in (select type from tpl);
  if missing is not null then
    raise exception 'no real event of type % to copy: the API part of the seeding must write one', missing;
  end if;
end $$;

create temp table gpu as select array_agg(id order by id) as ids from sharedcloud.mt_doc_gpudocument;

-- A UUIDv7 (time-ordered) as the API's ids are; PostgreSQL 15 has no uuidv7().
create function pg_temp.uuid7(t timestamptz) returns uuid language sql volatile as $f$
  select (lpad(to_hex((extract(epoch from t) * 1000)::bigint), 12, '0') || '7' || substr(md5(random()::text), 1, 3)
          || to_hex(8 + floor(random() * 4)::int) || substr(md5(random()::text), 1, 15))::uuid
$f$;

-- Accounts: the measured one (n = 0), whose missing events are all changes, and the others, who
-- register, register 10 instances each, then change things. budget = events still to append.
create temp table acct (n int, owner uuid, username text, ord float8, budget int);
insert into acct
  select 0, :'owner'::uuid, (select user_name from sharedcloud.mt_events where stream_id = :'owner'::uuid and version = 1),
         -1, :events - (select count(*) from sharedcloud.mt_events where headers ->> 'owner_id' = :'owner');
insert into acct
  select g.n, pg_temp.uuid7(t.start + g.o * t.span), 'bench-other-' || lpad(g.n::text, 3, '0'), g.o,
         :other_events / :other_accounts - 11
  from timeline t, (select n, 0.004 * random() as o from generate_series(1, :other_accounts) n) g;

-- Instances, and what may happen to them, so that the history obeys the API's rules (a GPU
-- instance runs one job at a time; a GPU model only changes on a GPU instance): "switchers" keep
-- max_num_parallel_jobs 1 and take the type and GPU changes; the others take the parallelism
-- changes. gpu0: the instance is a GPU one when the fill starts.
create temp table inst (owner uuid, id uuid, ord float8, switcher bool, gpu0 bool, parallel int);
insert into inst -- the measured account's instances (the read model has their current state)
  select :'owner'::uuid, id, -1, (data ->> 'type')::int = 2 or ((data ->> 'max_num_parallel_jobs')::int = 1 and r < 0.3),
         (data ->> 'type')::int = 2, (data ->> 'max_num_parallel_jobs')::int
  from (select id, data, random() as r from sharedcloud.mt_doc_instancedetails where account__id = :'owner'::uuid) d;
insert into inst -- the others': 3 switchers and 7 CPU instances each
  select g.owner, pg_temp.uuid7(t.start + g.o * t.span), g.o, g.i <= 3, false, case when g.i <= 3 then 1 else g.p end
  from timeline t, (select a.owner, i, a.ord + 0.001 + 0.005 * random() as o, 1 + floor(random() * 8)::int as p
                    from acct a cross join generate_series(1, 10) i where a.n > 0) g;
create temp table inst_of as
  select owner, array_agg(id order by id) as ids, array_agg(id order by id) filter (where switcher) as switchers,
         array_agg(id order by id) filter (where not switcher) as cpus
  from inst group by owner;
do $$
begin
  if exists (select from inst_of where switchers is null or cpus is null) then
    raise exception 'an account has no switcher or no CPU-only instance: create more instances';
  end if;
end $$;

-- One row per event; req groups the events of one request (one transaction of the API).
create temp sequence req_seq;
create temp table ev (req bigint, k int, ord float8, stream uuid, stream_type text, owner uuid, username text,
                      type text, data jsonb);

-- Other accounts' sign-ups and instance registrations.
insert into ev
  select nextval('req_seq'), 1, a.ord, a.owner, 'account', a.owner, a.username, 'account_registered',
         jsonb_build_object('account_id', a.owner, 'username', a.username, 'email', a.username || '@bench.example.com')
  from acct a where a.n > 0;
insert into ev
  select nextval('req_seq'), 1, i.ord, i.id, 'instance', a.owner, a.username, 'instance_registered',
         jsonb_build_object('instance_id', i.id, 'account_id', a.owner, 'name', 'instance-' || left(i.id::text, 8),
                            'type', 1, 'gpu_id', null, 'ask_price', round((0.001 + random() * 1.999)::numeric, 3),
                            'max_num_parallel_jobs', i.parallel)
  from inst i join acct a using (owner) where a.n > 0;

-- Changes: budget requests per account (more than enough events; trimmed to the budget below).
create temp table req as
  select nextval('req_seq') as req, a.owner, a.username, g, 0.01 + 0.99 * random() as ord,
         random() as r_type, random() as r_inst, random() as r_value, random() as r_gpu
  from acct a cross join lateral generate_series(1, a.budget) g;
insert into ev
  select r.req, 1, r.ord,
         case when m.type like 'account%' then r.owner
              when m.type in ('instance_type_changed', 'instance_gpu_changed')
                then s.switchers[1 + floor(r.r_inst * cardinality(s.switchers))::int]
              when m.type = 'instance_parallelism_changed' then s.cpus[1 + floor(r.r_inst * cardinality(s.cpus))::int]
              else s.ids[1 + floor(r.r_inst * cardinality(s.ids))::int] end,
         case when m.type like 'account%' then 'account' else 'instance' end,
         r.owner, r.username, m.type,
         case m.type
           when 'instance_price_changed' then jsonb_build_object('ask_price', round((0.001 + r.r_value * 1.999)::numeric, 3))
           when 'instance_parallelism_changed' then jsonb_build_object('max_num_parallel_jobs', 1 + floor(r.r_value * 16)::int)
           when 'instance_gpu_changed' then jsonb_build_object('gpu_id', gpu.ids[1 + floor(r.r_gpu * cardinality(gpu.ids))::int])
           when 'instance_type_changed' then jsonb_build_object('gpu_id', gpu.ids[1 + floor(r.r_gpu * cardinality(gpu.ids))::int])
           when 'instance_renamed' then jsonb_build_object('name', 'instance-' || r.g)
           when 'account_email_changed' then jsonb_build_object('email', r.username || '+' || r.g || '@bench.example.com')
           else '{}'::jsonb
         end
  from req r join mix m on r.r_type >= m.lo and r.r_type < m.hi, inst_of s, gpu
  where s.owner = r.owner;
insert into ev
  select req, 2, ord, stream, stream_type, owner, username, 'account_key_rotated', '{}'::jsonb
  from ev where type = 'account_email_changed';
-- The stream's id goes into data as the API's events have it (instance_id or account_id).
update ev set data = data || case when stream_type = 'instance' then jsonb_build_object('instance_id', stream)
                                  else jsonb_build_object('account_id', stream) end;
-- Keep whole requests while they fit each account's budget.
delete from ev using (
    select req from (
      select e.req, a.budget, sum(count(*)) over (partition by e.owner order by e.req) as total
      from ev e join acct a using (owner) where e.ord >= 0.01 group by e.req, e.owner, a.budget) c
    where c.total > c.budget) over
  where ev.req = over.req;

-- Append in time order, as sharedcloud.mt_quick_append_events (Marten's append function, which the
-- API's sessions call) does, set-based: the next seq_ids of mt_events_sequence in time order, each
-- stream's versions continuing from mt_streams.version, the same columns; then mt_streams.
create temp table req_meta as
  select req, gen_random_uuid()::text as correlation_id, (select start + min(ord) * span from timeline) as ts
  from ev group by req;
create temp table numbered as
  select e.*, row_number() over (order by e.ord, e.req, e.k) as n,
         coalesce(s.version, 0) + row_number() over (partition by e.stream order by e.ord, e.req, e.k) as version
  from ev e left join sharedcloud.mt_streams s on s.id = e.stream;
-- Type changes alternate GPU and CPU from the instance's type at the start; a GPU change that
-- would fall while the instance is a CPU one becomes a price change.
create temp table type_changes as
  select e.n, e.type, i.gpu0::int + count(*) filter (where e.type = 'instance_type_changed')
           over (partition by e.stream order by e.n rows unbounded preceding) as flips
  from numbered e join inst i on i.id = e.stream
  where e.type in ('instance_type_changed', 'instance_gpu_changed');
update numbered e set data = case when c.flips % 2 = 1 then e.data || '{"type": 2}' else e.data || '{"type": 1, "gpu_id": null}' end
  from type_changes c where c.n = e.n and c.type = 'instance_type_changed';
update numbered e set type = 'instance_price_changed',
                      data = jsonb_build_object('instance_id', e.stream, 'ask_price', round((0.001 + random() * 1.999)::numeric, 3))
  from type_changes c where c.n = e.n and c.type = 'instance_gpu_changed' and c.flips % 2 = 0;

create temp table base as select nextval('sharedcloud.mt_events_sequence') - 1 as seq;
select setval('sharedcloud.mt_events_sequence', (select seq from base) + (select count(*) from numbered));

insert into sharedcloud.mt_streams (id, type, version, timestamp, tenant_id)
  select stream, min(stream_type), max(version), now(), '*DEFAULT*' from numbered
  where stream not in (select id from sharedcloud.mt_streams) group by stream;
update sharedcloud.mt_streams s set version = x.version, timestamp = now()
  from (select stream, max(version) as version from numbered group by stream) x
  where s.id = x.stream and s.version < x.version;

insert into sharedcloud.mt_events
    (seq_id, id, stream_id, version, data, bdata, type, tenant_id, timestamp, mt_dotnet_type, is_archived,
     correlation_id, headers, user_name)
  select base.seq + e.n, gen_random_uuid(), e.stream, e.version, t.data || e.data, null, e.type, '*DEFAULT*', m.ts,
         t.mt_dotnet_type, false, m.correlation_id,
         t.headers || jsonb_build_object(
           'actor_id', e.owner, 'owner_id', e.owner,
           'path', case when t.data ? 'instance_id' then replace(t.headers ->> 'path', t.data ->> 'instance_id', e.stream::text)
                        else t.headers ->> 'path' end),
         e.username
  from numbered e join tpl t using (type) join req_meta m using (req), base
  order by e.n;

-- The API's own events (before the fill) go just before the synthetic time line, a minute apart;
-- streams get their first and last event's times, as Marten would have set them.
update sharedcloud.mt_events e set timestamp = t.start - (t.real_max_seq - e.seq_id + 1) * interval '1 minute'
  from timeline t where e.seq_id <= t.real_max_seq;
update sharedcloud.mt_streams s set created = x.first, timestamp = x.last
  from (select stream_id, min(timestamp) as first, max(timestamp) as last from sharedcloud.mt_events group by stream_id) x
  where s.id = x.stream_id;
