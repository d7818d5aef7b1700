-- Procedures with quoted names and string bodies added and dropped.
-- source
create procedure "gone; --"() language sql as $$ select 1 $$;
-- target
create procedure "p""1"(inout msg text default 'it''s') language plpgsql
    as $$ begin msg := msg || '; drop'; end $$;
