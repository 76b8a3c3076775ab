//! The OpenAPI 3.1 document for `/api/v1`, written by hand next to the handlers it describes.
//! A test checks that every API route the server registers appears here.

use actix_web::{HttpResponse, get};
use serde_json::{Value, json};

fn error_response(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } })
}

pub fn document() -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Palpate API",
            "version": "1",
            "description": "Exam preparation and continuing-education tracking for massage therapists. \
                            Authenticate with `Authorization: Bearer <token>`; get a token from POST /api/v1/tokens \
                            or from your account page."
        },
        "servers": [{ "url": "/" }],
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": { "error": { "type": "object", "required": ["code", "message"], "properties": {
                        "code": { "type": "string", "examples": ["unauthorized", "invalid", "not_found", "rate_limited"] },
                        "message": { "type": "string" },
                        "field": { "type": ["string", "null"] }
                    } } }
                },
                "Token": {
                    "type": "object",
                    "properties": {
                        "id": { "type": "integer" }, "name": { "type": "string" }, "prefix": { "type": "string" },
                        "created_at": { "type": "string" }, "last_used_at": { "type": ["string", "null"] }
                    }
                },
                "DraftItem": {
                    "type": "object",
                    "required": ["subarea", "level", "difficulty", "topics", "stem", "option_a", "option_b", "option_c", "option_d", "key",
                                 "rationale_a", "rationale_b", "rationale_c", "rationale_d", "reference"],
                    "properties": {
                        "subarea": { "type": "string", "examples": ["2.D"] }, "level": { "type": "string", "enum": ["recall", "application", "analysis"] },
                        "difficulty": { "type": "string", "enum": ["easy", "medium", "hard"] }, "topics": { "type": "string", "description": "comma-separated" },
                        "pillars": { "type": "array", "items": { "type": "string", "enum": ["anatomy", "physiology", "kinesiology", "pathology", "techniques"] } },
                        "stem": { "type": "string" }, "option_a": { "type": "string" }, "option_b": { "type": "string" }, "option_c": { "type": "string" }, "option_d": { "type": "string" },
                        "key": { "type": "string", "enum": ["A", "B", "C", "D"] },
                        "rationale_a": { "type": "string" }, "rationale_b": { "type": "string" }, "rationale_c": { "type": "string" }, "rationale_d": { "type": "string" },
                        "reference": { "type": "string" }, "enemies": { "type": "string", "description": "comma-separated item ids" }
                    }
                },
                "ExamState": {
                    "type": "object",
                    "properties": {
                        "id": { "type": "string" }, "title": { "type": "string" }, "program": { "type": "string" },
                        "finished": { "type": "boolean" }, "position": { "type": ["integer", "null"] },
                        "item": { "type": ["object", "null"], "properties": {
                            "id": { "type": "string" }, "stem": { "type": "string" },
                            "options": { "type": "array", "items": { "type": "object", "properties": { "id": { "type": "string" }, "text": { "type": "string" } } } }
                        } },
                        "answered": { "type": "integer" }, "max_items": { "type": "integer" },
                        "remaining_seconds": { "type": ["integer", "null"] }, "pace_warning": { "type": "boolean" }
                    }
                },
                "Me": {
                    "type": "object",
                    "properties": {
                        "id": { "type": "integer" }, "email": { "type": "string" }, "name": { "type": "string" },
                        "roles": { "type": "array", "items": { "type": "string", "enum": ["student", "practitioner", "instructor", "admin"] } }
                    }
                }
            }
        },
        "security": [{ "bearer": [] }],
        "paths": {
            "/api/v1/tokens": {
                "post": {
                    "summary": "Create an API token from an email and password",
                    "security": [],
                    "requestBody": { "required": true, "content": { "application/json": { "schema": {
                        "type": "object", "required": ["email", "password"],
                        "properties": { "email": {"type": "string"}, "password": {"type": "string"}, "name": {"type": "string"} }
                    } } } },
                    "responses": {
                        "201": { "description": "The token; `token` is shown only in this response", "content": { "application/json": { "schema": {
                            "type": "object", "properties": { "id": {"type": "integer"}, "name": {"type": "string"}, "token": {"type": "string"},
                            "prefix": {"type": "string"}, "created_at": {"type": "string"} }
                        } } } },
                        "401": error_response("Wrong email or password"),
                        "403": error_response("Email not confirmed, or account deactivated"),
                        "429": error_response("Too many attempts")
                    }
                },
                "get": {
                    "summary": "List your live API tokens",
                    "responses": {
                        "200": { "description": "Tokens", "content": { "application/json": { "schema": {
                            "type": "object", "properties": { "tokens": { "type": "array", "items": { "$ref": "#/components/schemas/Token" } } }
                        } } } },
                        "401": error_response("Missing or invalid token")
                    }
                }
            },
            "/api/v1/tokens/{id}": {
                "delete": {
                    "summary": "Revoke one of your tokens",
                    "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                    "responses": {
                        "204": { "description": "Revoked" },
                        "401": error_response("Missing or invalid token"),
                        "404": error_response("No such token of yours")
                    }
                }
            },
            "/api/v1/me": {
                "get": {
                    "summary": "Who the token belongs to",
                    "responses": {
                        "200": { "description": "The account", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Me" } } } },
                        "401": error_response("Missing or invalid token")
                    }
                }
            },
            "/api/v1/bank/items": {
                "get": {
                    "summary": "Search the bank (instructors)",
                    "parameters": [
                        { "name": "q", "in": "query", "schema": { "type": "string" }, "description": "words in stems, options, rationales or topics" },
                        { "name": "area", "in": "query", "schema": { "type": "string" } },
                        { "name": "subarea", "in": "query", "schema": { "type": "string" } },
                        { "name": "status", "in": "query", "schema": { "type": "string", "enum": ["draft", "in_review", "returned", "approved", "retired"] } },
                        { "name": "author", "in": "query", "schema": { "type": "string" } },
                        { "name": "level", "in": "query", "schema": { "type": "string", "enum": ["recall", "application", "analysis"] } },
                        { "name": "pillar", "in": "query", "schema": { "type": "string" } },
                        { "name": "open_reports", "in": "query", "schema": { "type": "boolean" } },
                        { "name": "limit", "in": "query", "schema": { "type": "integer", "maximum": 500 } },
                        { "name": "offset", "in": "query", "schema": { "type": "integer" } }
                    ],
                    "responses": { "200": { "description": "{total, items}" }, "403": error_response("Not an instructor") }
                },
                "post": {
                    "summary": "Create a draft item (instructors)",
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/DraftItem" } } } },
                    "responses": { "201": { "description": "The item with its history" }, "422": error_response("Field errors in error.fields"), "403": error_response("Not an instructor") }
                }
            },
            "/api/v1/bank/items/{id}": {
                "get": {
                    "summary": "An item with key, rationales, versions, history and reports (instructors)",
                    "parameters": [
                        { "name": "id", "in": "path", "required": true, "schema": { "type": "string" } },
                        { "name": "version", "in": "query", "schema": { "type": "integer" } }
                    ],
                    "responses": { "200": { "description": "Item" }, "404": error_response("No such item"), "403": error_response("Not an instructor") }
                },
                "put": {
                    "summary": "Edit an item: drafts change in place, approved items get a new draft version (instructors)",
                    "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }],
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/DraftItem" } } } },
                    "responses": { "200": { "description": "Item" }, "409": error_response("In review"), "422": error_response("Field errors") }
                }
            },
            "/api/v1/bank/items/{id}/transitions": {
                "post": {
                    "summary": "Move an item through review: submit, approve, return (comment required), retire, restore",
                    "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }],
                    "requestBody": { "required": true, "content": { "application/json": { "schema": {
                        "type": "object", "required": ["action"],
                        "properties": { "action": { "type": "string", "enum": ["submit", "approve", "return", "retire", "restore"] }, "comment": { "type": "string" } }
                    } } } },
                    "responses": { "200": { "description": "{id, status}" }, "409": error_response("Not allowed (e.g. the author approving their own item)") }
                }
            },
            "/api/v1/bank/stats": {
                "get": { "summary": "Counts by area, sub-area, status, level, difficulty, pillar and key position (instructors)", "responses": { "200": { "description": "{total, by_area, …}" } } }
            },
            "/api/v1/ce/credentials": {
                "get": { "summary": "Your credentials (certified therapists)", "responses": { "200": { "description": "{credentials}" }, "403": error_response("Not a certified therapist") } },
                "post": {
                    "summary": "Add a credential",
                    "requestBody": { "required": true, "content": { "application/json": { "schema": {
                        "type": "object", "required": ["rule", "issued_on"],
                        "properties": { "rule": { "type": "string", "examples": ["ncbtmb-bctmb", "us-fl-lmt"] }, "issued_on": { "type": "string", "format": "date" },
                                        "number": { "type": "string" }, "first_cycle": { "type": "boolean" } }
                    } } } },
                    "responses": { "201": { "description": "{id}" }, "422": error_response("Unknown rule or bad date (error.fields)") }
                }
            },
            "/api/v1/ce/activities": {
                "get": { "summary": "Your CE log", "responses": { "200": { "description": "{activities}" } } },
                "post": {
                    "summary": "Log an activity (certificates are uploaded from the web page)",
                    "requestBody": { "required": true, "content": { "application/json": { "schema": {
                        "type": "object", "required": ["title", "completed_on", "delivery", "hours", "topics"],
                        "properties": {
                            "title": { "type": "string" }, "provider": { "type": "string" }, "completed_on": { "type": "string", "format": "date" },
                            "delivery": { "type": "string", "enum": ["in_person_hands_on", "in_person_lecture", "live_online", "self_study", "academic"] },
                            "hours": { "type": "number" }, "unit": { "type": "string", "enum": ["hour", "ceu", "minute", "semester_credit", "quarter_credit"] },
                            "topics": { "type": "object", "additionalProperties": { "type": "number" }, "description": "topic code → hours; must add up to hours" },
                            "approvals": { "type": "object", "additionalProperties": { "type": "string" }, "description": "approval scheme → approval number" }
                        }
                    } } } },
                    "responses": { "201": { "description": "{id}" }, "422": error_response("Field errors") }
                }
            },
            "/api/v1/ce/evaluation": {
                "get": { "summary": "Every credential evaluated against its renewal rule: status, requirements, deficits, where each hour went, excluded hours with reasons", "responses": { "200": { "description": "{credentials}" } } }
            },
            "/api/v1/exams": {
                "post": {
                    "summary": "Start a practice exam (students)",
                    "requestBody": { "required": true, "content": { "application/json": { "schema": {
                        "type": "object", "required": ["program"],
                        "properties": {
                            "program": { "type": "string", "enum": ["readiness", "mblex", "ncbtmb", "drill"] },
                            "areas": { "type": "array", "items": { "type": "string" }, "description": "drill: area (\"3\") or sub-area (\"3.B\") codes" },
                            "length": { "type": "integer", "minimum": 1, "maximum": 50, "description": "drill: number of questions" }
                        }
                    } } } },
                    "responses": {
                        "201": { "description": "The exam and its first item", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ExamState" } } } },
                        "400": error_response("Unknown program or bad drill choice"),
                        "403": error_response("Not a student"),
                        "409": error_response("Not enough live questions")
                    }
                },
                "get": { "summary": "Your exams, newest first", "responses": { "200": { "description": "History" }, "401": error_response("Missing or invalid token") } }
            },
            "/api/v1/exams/{id}/current": {
                "get": {
                    "summary": "The item on screen (stem and options only) and the remaining time, or that the exam is finished",
                    "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }],
                    "responses": { "200": { "description": "State", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ExamState" } } } }, "404": error_response("No such exam of yours") }
                }
            },
            "/api/v1/exams/{id}/answers": {
                "post": {
                    "summary": "Answer the item at `position`; a repeated identical answer is harmless",
                    "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }],
                    "requestBody": { "required": true, "content": { "application/json": { "schema": {
                        "type": "object", "required": ["position", "option_id"],
                        "properties": { "position": { "type": "integer" }, "option_id": { "type": "string", "enum": ["A", "B", "C", "D"] } }
                    } } } },
                    "responses": {
                        "200": { "description": "The next state (drills include `feedback` with the key and rationales)", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ExamState" } } } },
                        "409": error_response("Not the current position, or already answered differently"),
                        "410": error_response("The deadline passed (the exam was finished) or the exam is over")
                    }
                }
            },
            "/api/v1/exams/{id}/end": {
                "post": {
                    "summary": "End an unfinished exam early: answers kept, no verdict, nothing more answerable",
                    "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }],
                    "responses": { "200": { "description": "The result of the ended exam" }, "404": error_response("No such exam of yours"), "409": error_response("The exam is already over") }
                }
            },
            "/api/v1/exams/{id}/result": {
                "get": {
                    "summary": "Pass/fail, P(pass), practice scaled score, per-area diagnostics",
                    "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }],
                    "responses": { "200": { "description": "Result" }, "409": error_response("Still in progress") }
                }
            },
            "/api/v1/exams/{id}/review": {
                "get": {
                    "summary": "Every scored item with your answer, the key and all rationales (after finishing only)",
                    "parameters": [
                        { "name": "id", "in": "path", "required": true, "schema": { "type": "string" } },
                        { "name": "missed", "in": "query", "required": false, "schema": { "type": "boolean" } }
                    ],
                    "responses": { "200": { "description": "Review" }, "403": error_response("The exam is not finished") }
                }
            },
            "/api/v1/openapi.json": {
                "get": { "summary": "This document", "security": [], "responses": { "200": { "description": "OpenAPI 3.1 JSON" } } }
            }
        }
    })
}

#[get("/api/v1/openapi.json")]
pub async fn document_route() -> HttpResponse {
    HttpResponse::Ok().json(document())
}
