SELECT
    'internal' AS dataSource,
    id AS chosenID,
    well_name AS wellName,
    api_14 AS api14,
    perf_lateral_length AS perfLateralLength,
    county,
    state,
    'US' AS country
FROM global.wells
ORDER BY id
