-- People of the registers: residents, officers, mediators, advisers, members
-- of groups. Many have no account, so a person is not a user.
--
-- id_number is the resident ID number (GB 11643) in its normalised form
-- (upper-case X), stored in full so that an exact search finds it; the API
-- masks it for roles that do not need it. Encrypting it at rest (with a keyed
-- hash beside it for the exact search) is a follow-up. One live person per
-- number: the unique index leaves deleted rows out.
--
-- tags is the normalised list "a,b" (trimmed, ASCII lower-cased, no
-- duplicates, sorted), '' for none; a tag search matches ',' || tags || ','.
CREATE TABLE people (
    id {{ID}},
    unit_id INTEGER NOT NULL REFERENCES units (id),
    name TEXT NOT NULL,
    gender TEXT CHECK (gender IN ('male', 'female')),
    phone TEXT,
    id_number TEXT,
    tags TEXT NOT NULL DEFAULT '',
    notes TEXT,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    deleted_at_ms INTEGER
);
CREATE INDEX people_unit ON people (unit_id);
CREATE UNIQUE INDEX people_id_number ON people (id_number) WHERE deleted_at_ms IS NULL;
