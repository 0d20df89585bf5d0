-- One row per survey station. A survey's stations must come together, in depth order:
-- ORDER BY the well, then the measured depth.
SELECT
    'internal' AS dataSource,
    well AS chosenID,
    datum AS spatialDataType,
    md AS measuredDepth,
    tvd AS trueVerticalDepth,
    inclination,
    azimuth,
    ns AS deviationNS,
    ew AS deviationEW,
    latitude,
    longitude
FROM global.survey_stations
ORDER BY well, md
