-- 0013: an insert's geometry in the history as WKB beside its document (issue 23: a bulk
-- import's history was two thirds hex digits of its geometries). Store.history() puts it
-- back into the document as the hex geometry_wkb it always gave; entries written before
-- keep the whole document in `after` and read as they did (pasture/store/history.py).
ALTER TABLE history ADD COLUMN after_geometry BLOB;
