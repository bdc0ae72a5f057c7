-- Issue 15: migration 0015's per-hour leaders of top_calls cost more than they saved. Inserting
-- the same 200,000 calls in batches of 2,000 (20 s of traffic each) took +16 % CPU with 0014
-- and 0015 against +1.6 % with 0014 alone (0015 alone ~+14 %), for -13 % CPU on top_calls over
-- 7 days, +10 % month to date and -45 % over 24 hours at 100M calls: the view reads whole days
-- from 0014's projection and the partial first and last day from the table again, and this
-- drops the projection from the stores that built it (a store migrated from scratch adds it
-- empty in 0015 and drops it here).
ALTER TABLE llm_calls {on_cluster} DROP PROJECTION IF EXISTS top_calls_hourly;
