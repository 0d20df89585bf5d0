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

-- One row per well and month: volumes of the month (oil and water in BBL, gas in MCF) and the
-- days it produced. date is the day the accounting system reports the month under: its
-- first day, or (North Dakota's wells) its last; any day names its month.
CREATE TABLE IF NOT EXISTS global.monthly_productions (
    id INT AUTO_INCREMENT PRIMARY KEY,
    well VARCHAR(12) COLLATE utf8mb4_bin NOT NULL,
    date DATE NOT NULL,
    oil INT NULL,
    gas INT NULL,
    water INT NULL,
    days_on INT NULL,
    CONSTRAINT uq_monthly_productions_well_date UNIQUE (well, date),
    CONSTRAINT fk_monthly_productions_well FOREIGN KEY (well) REFERENCES global.wells (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per directional survey station: measured depth (md), true vertical depth (tvd) and
-- deviations north-south (ns) and east-west (ew) in feet, angles in degrees, and the datum
-- of the survey's coordinates.
CREATE TABLE IF NOT EXISTS global.survey_stations (
    well VARCHAR(12) COLLATE utf8mb4_bin NOT NULL,
    datum VARCHAR(5) NOT NULL,
    md INT NOT NULL,
    tvd DECIMAL(8,2) NOT NULL,
    inclination DECIMAL(5,2) NOT NULL,
    azimuth DECIMAL(5,2) NOT NULL,
    ns DECIMAL(9,2) NOT NULL,
    ew DECIMAL(9,2) NOT NULL,
    latitude DECIMAL(9,6) NOT NULL,
    longitude DECIMAL(10,6) NOT NULL,
    CONSTRAINT pk_survey_stations PRIMARY KEY (well, md),
    CONSTRAINT fk_survey_stations_well FOREIGN KEY (well) REFERENCES global.wells (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The ownership of a well under a qualifier key (a scenario: the current deck, a proposed
-- acquisition): interests in percent, and up to two reversions (rev1, rev2) of its interests.
CREATE TABLE IF NOT EXISTS global.ownership (
    well VARCHAR(12) COLLATE utf8mb4_bin NOT NULL,
    qualifier VARCHAR(40) NOT NULL,
    deck_name VARCHAR(80) NOT NULL,
    wi DECIMAL(9,5) NOT NULL,
    nri DECIMAL(9,5) NOT NULL,
    lease_nri DECIMAL(9,5) NULL,
    npi_type VARCHAR(10) NULL,
    npi DECIMAL(9,5) NULL,
    rev1_type VARCHAR(30) NULL,
    rev1_wi DECIMAL(9,5) NULL,
    rev1_nri DECIMAL(9,5) NULL,
    rev1_lease_nri DECIMAL(9,5) NULL,
    rev1_npi DECIMAL(9,5) NULL,
    rev1_date DATE NULL,
    rev2_type VARCHAR(30) NULL,
    rev2_wi DECIMAL(9,5) NULL,
    rev2_nri DECIMAL(9,5) NULL,
    rev2_lease_nri DECIMAL(9,5) NULL,
    rev2_npi DECIMAL(9,5) NULL,
    rev2_date DATE NULL,
    CONSTRAINT pk_ownership PRIMARY KEY (well, qualifier),
    CONSTRAINT fk_ownership_well FOREIGN KEY (well) REFERENCES global.wells (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
