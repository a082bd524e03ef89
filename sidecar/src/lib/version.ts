/** Versions the sidecar announces: its own release and the wire protocol it speaks. */
export const SERVER_VERSION = "0.1.0";
export const PROTOCOL_VERSION = 1;
