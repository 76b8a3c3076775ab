DROP TABLE bank_imports;
