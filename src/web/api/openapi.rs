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
