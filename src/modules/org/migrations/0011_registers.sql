-- Registers kept on people. Rows are soft-deleted (deleted_at_ms) so that a
-- figure a report once counted stays explainable from the audit log; dates
-- are local dates 'YYYY-MM-DD', which compare correctly as text. The unit a
-- row belongs to (for scope) is the person's unit for certificates, and the
-- unit named on the row for the others.

-- 执法证: enforcement certificates. A number is unique per issuing authority.
CREATE TABLE certificates (
    id {{ID}},
    person_id INTEGER NOT NULL REFERENCES people (id),
    number TEXT NOT NULL,
    authority TEXT NOT NULL,
    field TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_to TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    deleted_at_ms INTEGER,
    CHECK (valid_from <= valid_to)
);
CREATE INDEX certificates_person ON certificates (person_id);
CREATE INDEX certificates_valid_to ON certificates (valid_to);
CREATE UNIQUE INDEX certificates_number ON certificates (authority, number)
    WHERE deleted_at_ms IS NULL;

-- 法律明白人: legal-literate residents, registered with the community or
-- village where they were trained; one live registration a person.
CREATE TABLE legal_literates (
    id {{ID}},
    person_id INTEGER NOT NULL REFERENCES people (id),
    community_unit_id INTEGER NOT NULL REFERENCES units (id),
    trained_on TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    deleted_at_ms INTEGER
);
CREATE INDEX legal_literates_unit ON legal_literates (community_unit_id);
CREATE INDEX legal_literates_trained ON legal_literates (trained_on);
CREATE UNIQUE INDEX legal_literates_person ON legal_literates (person_id)
    WHERE deleted_at_ms IS NULL;

-- 人民调解员: members of the mediation committee of a unit, from a date,
-- until a date (NULL: still serving).
CREATE TABLE mediators (
    id {{ID}},
    person_id INTEGER NOT NULL REFERENCES people (id),
    committee_unit_id INTEGER NOT NULL REFERENCES units (id),
    from_on TEXT NOT NULL,
    to_on TEXT,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    deleted_at_ms INTEGER,
    CHECK (to_on IS NULL OR from_on <= to_on)
);
CREATE INDEX mediators_unit ON mediators (committee_unit_id);
CREATE INDEX mediators_person ON mediators (person_id);

-- 法律顾问: legal advisers under contract to a unit, with the law firm and
-- the contract period.
CREATE TABLE advisers (
    id {{ID}},
    person_id INTEGER NOT NULL REFERENCES people (id),
    unit_id INTEGER NOT NULL REFERENCES units (id),
    firm TEXT NOT NULL,
    contract_from TEXT NOT NULL,
    contract_to TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    deleted_at_ms INTEGER,
    CHECK (contract_from <= contract_to)
);
CREATE INDEX advisers_unit ON advisers (unit_id);
CREATE INDEX advisers_person ON advisers (person_id);

-- Groups of a unit, such as its 法治政府建设领导小组, run by an office (a
-- department unit, e.g. 平安办). "groups" is a keyword in SQL window
-- clauses, hence org_groups.
CREATE TABLE org_groups (
    id {{ID}},
    unit_id INTEGER NOT NULL REFERENCES units (id),
    office_unit_id INTEGER REFERENCES units (id),
    name TEXT NOT NULL,
    established_on TEXT,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    deleted_at_ms INTEGER
);
CREATE INDEX org_groups_unit ON org_groups (unit_id);
CREATE UNIQUE INDEX org_groups_name ON org_groups (unit_id, name) WHERE deleted_at_ms IS NULL;

-- Members of a group: 组长 (leader), 副组长 (deputy), 成员 (member), from a
-- date until a date (NULL: still serving).
CREATE TABLE group_members (
    id {{ID}},
    group_id INTEGER NOT NULL REFERENCES org_groups (id),
    person_id INTEGER NOT NULL REFERENCES people (id),
    position TEXT NOT NULL CHECK (position IN ('leader', 'deputy', 'member')),
    from_on TEXT NOT NULL,
    to_on TEXT,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    deleted_at_ms INTEGER,
    CHECK (to_on IS NULL OR from_on <= to_on)
);
CREATE INDEX group_members_group ON group_members (group_id);
CREATE INDEX group_members_person ON group_members (person_id);
