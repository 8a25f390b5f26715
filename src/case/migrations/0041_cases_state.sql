-- Counting a scope's open cases by state (the dashboard, a queue's header)
-- reads only the open ones: by type and state, then unit, with the due date
-- for the overdue count, all in the index. Concluded cases, which pile up
-- over the years, are not read.
CREATE INDEX cases_state ON cases (type, state, unit_id, due_on);
