DROP TABLE bank_reports;
DROP TABLE bank_item_events;
DROP TABLE bank_item_versions;
DROP TABLE bank_items;
