DROP TABLE item_calibrations;
DROP TABLE calibration_runs;
