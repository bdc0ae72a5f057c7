-- The images an image model made, billed per image (Imagen on the Gemini API and Vertex AI:
-- the predictions of its :predict answer, tokentrace.usage.output_images), priced per image
-- from the corrections. Kept on each call so that `tokentrace reprice` prices them again;
-- rows stored before read 0, as they were stored (their usage missing, their cost unknown).
ALTER TABLE llm_calls {on_cluster}
    ADD COLUMN IF NOT EXISTS output_images UInt64 DEFAULT 0;
