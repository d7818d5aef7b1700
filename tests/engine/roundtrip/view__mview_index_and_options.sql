-- A materialized view that stays while its index changes and another is added; a view with
-- a check option; a view over a view dropped with it; hostile names.
-- source
create table "T'1" (id int, "Na;me" text);
create materialized view "M""v" as select id, "Na;me" from "T'1";
create index "m_idx; --" on "M""v" (id);
create view base as select * from "T'1";
create view over_base as select id from base;
-- target
create table "T'1" (id int, "Na;me" text);
create materialized view "M""v" as select id, "Na;me" from "T'1";
create index "m_idx; --" on "M""v" (id desc);
create unique index m_name on "M""v" ("Na;me", id);
create view "checked" as select * from "T'1" where id > 0 with local check option;
