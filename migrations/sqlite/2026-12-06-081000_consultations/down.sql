DROP TABLE consultation_comment_supports;
DROP TABLE consultation_comments;
DROP TABLE consultation_responses;
DROP TABLE consultation_areas;
DROP TABLE consultation_documents;
DROP TABLE consultations;
