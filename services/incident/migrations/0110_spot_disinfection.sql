-- Step 2's spot disinfection of the place where the person was held is an order of its
-- own (step 2), closed by the disinfection post like step 6's; a zone step 6 orders
-- again is re-opened as a step 6 order.
ALTER TABLE disinfection_orders ADD COLUMN step BIGINT NOT NULL DEFAULT 6;
