-- The pages an OCR model read (Mistral's usage_info.pages_processed) and, of those, the pages
-- it annotated, priced per 1,000 pages at genai-prices' rates (extract.METERED_UNITS). Kept on
-- each call so that `tokentrace reprice` prices them again; rows stored before read 0, as
-- they were stored (their usage missing, their cost unknown).
ALTER TABLE llm_calls {on_cluster}
    ADD COLUMN IF NOT EXISTS input_document_pages UInt64 DEFAULT 0,
    ADD COLUMN IF NOT EXISTS input_annotated_document_pages UInt64 DEFAULT 0;
