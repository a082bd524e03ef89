/**
 * BodyBuild over the protocol: a character (its appearance), an appearance or body parameters
 * → a rigged .glb, stored as an asset (model/gltf-binary) through the asset service; the reply
 * names the asset and, when asked and small enough, carries the bytes too.
 */

import type { BodyBuild, BodyBuilt } from "../../../generated/ensoul_v1.js";
import { unary, type Method, type Principal } from "../../../gateway/methods.js";
import { EnsoulError } from "../../../lib/errors.js";
import { assetInfo, type AssetService } from "../../assets/index.js";
import { buildBody } from "./build.js";
import { bodyParamsFromAppearance, resolveBodyParams, type BodyParams } from "./params.js";

export const GLB_CONTENT_TYPE = "model/gltf-binary";

type Source = NonNullable<BodyBuild["source"]>;
const SOURCES: readonly Source[] = ["characterJson", "appearanceJson", "paramsJson"];

function parseObject(text: string, field: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new EnsoulError("INVALID_ARGUMENT", `not JSON: ${(err as Error).message}`, { field, cause: err });
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw new EnsoulError("INVALID_ARGUMENT", "must be a JSON object", { field });
  return doc as Record<string, unknown>;
}

/** A file name from a character's name: no path separators or control characters. */
function glbName(characterName: unknown): string {
  const base = typeof characterName === "string" ? characterName.replace(/[\u0000-\u001f\u007f/\\]+/g, " ").trim().slice(0, 200) : "";
  return `${base || "body"}.glb`;
}

/** The body parameters and asset name a BodyBuild asks for; bad documents name their field. */
export function bodyRequest(request: BodyBuild): { params: BodyParams; name: string } {
  const source = request.source ?? SOURCES.find((s) => (request[s] ?? "") !== "");
  if (source === undefined) {
    throw new EnsoulError("INVALID_ARGUMENT", "set one of characterJson, appearanceJson or paramsJson", { field: "bodyBuild.source" });
  }
  const field = `bodyBuild.${source}`;
  const doc = parseObject(request[source] ?? "", field);
  switch (source) {
    case "characterJson": {
      const appearance = doc.appearance;
      if (typeof appearance !== "object" || appearance === null || Array.isArray(appearance)) {
        throw new EnsoulError("INVALID_ARGUMENT", "a character needs an appearance object", { field: `${field}.appearance` });
      }
      return { params: bodyParamsFromAppearance(appearance), name: glbName(doc.name) };
    }
    case "appearanceJson":
      return { params: bodyParamsFromAppearance(doc), name: glbName(undefined) };
    case "paramsJson":
      try {
        return { params: resolveBodyParams(doc), name: glbName(undefined) };
      } catch (err) {
        if (err instanceof EnsoulError && err.code === "INVALID_ARGUMENT") {
          throw new EnsoulError("INVALID_ARGUMENT", err.message, { field: `${field}.${err.field ?? ""}`.replace(/\.$/, ""), cause: err });
        }
        throw err;
      }
  }
}

export async function buildAndStoreBody(
  request: BodyBuild,
  assets: AssetService,
  principal: Principal,
  maxReplyBytes = Number.POSITIVE_INFINITY,
): Promise<BodyBuilt> {
  const started = performance.now();
  const { params, name } = bodyRequest(request);
  const glb = await buildBody(params);
  const record = await assets.putBytes(glb, { name, contentType: GLB_CONTENT_TYPE, project: request.project }, principal, "bodyBuild");
  // The reply must fit the client's own frame limit (from its Hello), not only the server's.
  const replyRoom = Math.min(assets.maxDataBytes, maxReplyBytes - 1024);
  if (request.includeBytes && glb.length > replyRoom) {
    throw new EnsoulError(
      "FAILED_PRECONDITION",
      `the body is ${glb.length} bytes, more than a reply may carry (${replyRoom}); it is stored as asset ${record.assetId}: read it with AssetGet`,
      { field: "bodyBuild.includeBytes" },
    );
  }
  return { asset: assetInfo(record), glb: request.includeBytes ? glb : new Uint8Array(0), elapsedMs: performance.now() - started };
}

/** The BodyBuild method, storing bodies through `assets`. */
export function bodyMethods(assets: AssetService): Method[] {
  return [
    unary({
      service: "generate",
      name: "body",
      request: "bodyBuild",
      response: "bodyBuilt",
      handle: (req, ctx) => buildAndStoreBody(req, assets, ctx.principal, ctx.maxReplyBytes),
    }),
  ];
}
