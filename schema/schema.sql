-- Sample source database for ComboCurve Sync (MySQL / MariaDB).
--
-- This file is the single source of truth for the schema. schema/load.py runs it as is on
-- MySQL and derives the SQLite and PostgreSQL DDL from it with a few documented rewrites, so
-- keep to plain syntax: unquoted names, one statement per ';' at a line end, comments on
-- their own lines, table options on the closing line.

CREATE DATABASE IF NOT EXISTS global CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- One row per well. id is the company's own well id, sent to ComboCurve as chosenID
-- (1-32 letters and digits); it is a string, and leading zeros matter. Ids compare and sort
-- byte by byte (utf8mb4_bin), as in PostgreSQL and SQLite, so ORDER BY id agrees everywhere.
CREATE TABLE IF NOT EXISTS global.wells (
    well_name VARCHAR(255) NOT NULL,
    id VARCHAR(12) COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
    perf_lateral_length INT NULL,
    api_14 VARCHAR(14) NULL,
    county VARCHAR(255) NULL,
    state VARCHAR(255) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per well and day. Volumes are daily: oil and water in BBL, gas in MCF.
-- id follows insertion order, so ORDER BY id is a stable paging order.
CREATE TABLE IF NOT EXISTS global.daily_productions (
    id INT AUTO_INCREMENT PRIMARY KEY,
    well VARCHAR(12) COLLATE utf8mb4_bin NOT NULL,
    date DATETIME NOT NULL,
    oil INT NULL,
    gas INT NULL,
    water INT NULL,
    CONSTRAINT uq_daily_productions_well_date UNIQUE (well, date),
    CONSTRAINT fk_daily_productions_well FOREIGN KEY (well) REFERENCES global.wells (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
