DROP TABLE ce_rule_reports;
