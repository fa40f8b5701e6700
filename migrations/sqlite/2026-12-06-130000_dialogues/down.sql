DROP TABLE dialogue_supports;
DROP TABLE dialogue_questions;
DROP TABLE dialogue_areas;
DROP TABLE dialogues;
