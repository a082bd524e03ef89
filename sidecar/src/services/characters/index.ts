/**
 * Characters kept in the data service: a generated character (GenerateDone's JSON) stored under
 * an id in a project, listed by role or name, and found by similarity (CharacterSearch) through
 * an embedding stored with each record. The document is checked against the character schema
 * by the data service itself, so a record is either a whole valid character or nothing.
 */
import type { CharacterRecord as WireRecord } from "../../generated/ensoul_v1.js";
import { unary, type Method, type Principal } from "../../gateway/methods.js";
import { EnsoulError } from "../../lib/errors.js";
import { parseJsonDocument, type Collection, type CollectionSpec, type DataRecord, type DataStore } from "../data/index.js";
import { characterSchema } from "../generate/index.js";
import { embedCharacter, embedText, EMBEDDING_DIMENSIONS, isZero } from "./embed.js";

type CharacterDoc = Record<string, unknown>;

export const CHARACTERS: CollectionSpec = {
  name: "characters",
  indexes: { name: "string", role: "string", species: "string", level: "integer" },
  schema: characterSchema(),
  maxDocumentBytes: 1024 * 1024,
  vector: { dimensions: EMBEDDING_DIMENSIONS },
};

const CHARACTER_ID = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;
const DEFAULT_LIST_LIMIT = 100;
const MAX_LIST_LIMIT = 1000;
const DEFAULT_K = 10;
const MAX_K = 100;

function checkCharacterId(id: string | undefined, field: string): string {
  if (!id || !CHARACTER_ID.test(id)) {
    throw new EnsoulError("INVALID_ARGUMENT", `character id ${JSON.stringify(id ?? "")} must be 1-128 letters, digits, '.', '_' or '-', not starting with '.'`, { field });
  }
  return id;
}

/** The project a call works in: a project-scoped caller reaches only its own; "" names none. */
function projectFor(principal: Principal, requested: string | undefined, field: string): string {
  const asked = requested ?? "";
  if (principal.project === undefined) return asked;
  if (asked === "" || asked === principal.project) return principal.project;
  throw new EnsoulError("PERMISSION_DENIED", `this token reaches only project ${principal.project}`, { field });
}

/** The data service names document fields "doc.…"; on the wire they are inside character_json. */
function onTheWire(err: unknown, jsonField: string): never {
  if (err instanceof EnsoulError && err.code === "INVALID_ARGUMENT" && err.field?.startsWith("doc")) {
    throw new EnsoulError("INVALID_ARGUMENT", err.message, { field: `${jsonField}${err.field.slice(3)}`, cause: err });
  }
  throw err;
}

function toWire(record: DataRecord<CharacterDoc>): WireRecord {
  return { characterId: record.id, project: record.project, characterJson: JSON.stringify(record.doc), version: record.version, updatedAtMs: record.updatedAtMs };
}

function bounded(value: number | undefined, fallback: number, max: number, field: string): number {
  if (!value) return fallback;
  if (value > max) throw new EnsoulError("INVALID_ARGUMENT", `${field} must be at most ${max}, got ${value}`, { field });
  return value;
}

export class CharacterService {
  constructor(private readonly characters: Collection<CharacterDoc>) {}

  async put(request: { characterId?: string; project?: string; characterJson?: string; ifVersion?: number | { toNumber(): number } | null }, principal: Principal): Promise<WireRecord> {
    const id = checkCharacterId(request.characterId, "characterPut.characterId");
    const project = projectFor(principal, request.project, "characterPut.project");
    const doc = parseJsonDocument(request.characterJson ?? "", "characterPut.characterJson");
    const embedding = embedCharacter(doc);
    const ifVersion = request.ifVersion == null ? undefined : Number(request.ifVersion);
    try {
      const record = await this.characters.put({ id, project, doc, ...(isZero(embedding) ? {} : { embedding }) }, ifVersion === undefined ? {} : { ifVersion });
      return toWire(record);
    } catch (err) {
      return onTheWire(err, "characterPut.characterJson");
    }
  }

  async get(request: { characterId?: string; project?: string }, principal: Principal): Promise<WireRecord> {
    const id = checkCharacterId(request.characterId, "characterGet.characterId");
    const project = projectFor(principal, request.project, "characterGet.project");
    const record = await this.characters.get(id, project);
    if (!record) throw new EnsoulError("NOT_FOUND", `no character ${JSON.stringify(id)}${project ? ` in project ${JSON.stringify(project)}` : ""}`, { field: "characterGet.characterId" });
    return toWire(record);
  }

  async list(request: { project?: string; role?: string; namePrefix?: string; limit?: number }, principal: Principal): Promise<WireRecord[]> {
    const project = projectFor(principal, request.project, "characterList.project");
    const where: Record<string, string | { prefix: string }> = {};
    if (request.role) where.role = request.role;
    if (request.namePrefix) where.name = { prefix: request.namePrefix };
    const records = await this.characters.find({
      project,
      where,
      orderBy: [{ field: "updatedAtMs", direction: "desc" }],
      limit: bounded(request.limit, DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT, "characterList.limit"),
    });
    return records.map(toWire);
  }

  async search(request: { project?: string; text?: string; likeCharacterId?: string; k?: number }, principal: Principal): Promise<Array<{ character: WireRecord; score: number }>> {
    const project = projectFor(principal, request.project, "characterSearch.project");
    const k = bounded(request.k, DEFAULT_K, MAX_K, "characterSearch.k");
    let vector: ArrayLike<number>;
    let exclude: string | undefined;
    if (request.text) {
      vector = embedText(request.text);
      if (isZero(vector)) throw new EnsoulError("INVALID_ARGUMENT", "characterSearch.text has no words to search by", { field: "characterSearch.text" });
    } else if (request.likeCharacterId) {
      const id = checkCharacterId(request.likeCharacterId, "characterSearch.likeCharacterId");
      const like = await this.characters.get(id, project);
      if (!like?.embedding) throw new EnsoulError("NOT_FOUND", `no character ${JSON.stringify(id)} to search like`, { field: "characterSearch.likeCharacterId" });
      vector = like.embedding;
      exclude = id;
    } else {
      throw new EnsoulError("INVALID_ARGUMENT", "give characterSearch.text or characterSearch.likeCharacterId", { field: "characterSearch.text" });
    }
    const found = await this.characters.nearest({ vector, k: exclude ? k + 1 : k, project });
    return found
      .filter((n) => n.record.id !== exclude)
      .slice(0, k)
      .map((n) => ({ character: toWire(n.record), score: n.score }));
  }

  async delete(request: { characterId?: string; project?: string }, principal: Principal): Promise<{ characterId: string; deleted: boolean }> {
    const id = checkCharacterId(request.characterId, "characterDelete.characterId");
    const project = projectFor(principal, request.project, "characterDelete.project");
    return { characterId: id, deleted: await this.characters.delete(id, project) };
  }
}

/** The service over the data store `app/` hands it (defines its collection). */
export async function createCharacterService(data: DataStore): Promise<CharacterService> {
  return new CharacterService(await data.define<CharacterDoc>(CHARACTERS));
}

/** The characters methods of the protocol. */
export function characterMethods(service: CharacterService): Method[] {
  return [
    unary({ service: "characters", name: "put", request: "characterPut", response: "characterRecord", handle: (req, ctx) => service.put(req, ctx.principal) }),
    unary({ service: "characters", name: "get", request: "characterGet", response: "characterRecord", handle: (req, ctx) => service.get(req, ctx.principal) }),
    unary({
      service: "characters",
      name: "list",
      request: "characterList",
      response: "characterListReply",
      handle: async (req, ctx) => ({ characters: await service.list(req, ctx.principal) }),
    }),
    unary({
      service: "characters",
      name: "search",
      request: "characterSearch",
      response: "characterSearchReply",
      handle: async (req, ctx) => ({ matches: await service.search(req, ctx.principal) }),
    }),
    unary({ service: "characters", name: "delete", request: "characterDelete", response: "characterDeleted", handle: (req, ctx) => service.delete(req, ctx.principal) }),
  ];
}
