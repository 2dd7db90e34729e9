// entangle/nats: ports across machines over core NATS. join() makes this process a node of a
// mesh where any node reaches any other in one hop; connect(name) and the mesh's `connect` event
// bootstrap the first port between two named nodes.

export { connect, join, Mesh, type MeshStats } from './mesh.ts';
export type { JoinOptions } from './options.ts';
