/**
 * The subset of the ONNX protobuf schema (onnx/onnx.proto, IR version 8) that a static embedding
 * graph needs, with the upstream field numbers, parsed at run time by protobufjs.
 * Only writing is needed here; onnxruntime validates what we write when it loads the model.
 */
import { createRequire } from 'node:module';
import type * as Protobuf from 'protobufjs';
import { requireOptional } from '../../engine/optional-dependency.js';

/** protobufjs, required on first use (an optional peer, needed with onnxruntime-node: kNN scan, training). */
const loadProtobuf = (): typeof Protobuf =>
  requireOptional('protobufjs', 'Writing ONNX graphs (learned routing, training)', () => createRequire(import.meta.url)('protobufjs') as typeof Protobuf);

const ONNX_SUBSET_PROTO = `
syntax = "proto3";
package onnx;
message AttributeProto {
  enum AttributeType { UNDEFINED = 0; FLOAT = 1; INT = 2; STRING = 3; TENSOR = 4; GRAPH = 5; FLOATS = 6; INTS = 7; STRINGS = 8; }
  string name = 1;
  AttributeType type = 20;
  float f = 2;
  int64 i = 3;
  bytes s = 4;
  TensorProto t = 5;
  repeated float floats = 7;
  repeated int64 ints = 8;
}
message ValueInfoProto { string name = 1; TypeProto type = 2; string doc_string = 3; }
message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  string name = 3;
  string op_type = 4;
  string domain = 7;
  repeated AttributeProto attribute = 5;
}
message StringStringEntryProto { string key = 1; string value = 2; }
message ModelProto {
  int64 ir_version = 1;
  repeated OperatorSetIdProto opset_import = 8;
  string producer_name = 2;
  string producer_version = 3;
  string domain = 4;
  int64 model_version = 5;
  string doc_string = 6;
  GraphProto graph = 7;
  repeated StringStringEntryProto metadata_props = 14;
}
message GraphProto {
  repeated NodeProto node = 1;
  string name = 2;
  repeated TensorProto initializer = 5;
  string doc_string = 10;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
}
message TensorProto {
  enum DataType { UNDEFINED = 0; FLOAT = 1; UINT8 = 2; INT8 = 3; UINT16 = 4; INT16 = 5; INT32 = 6; INT64 = 7; STRING = 8; BOOL = 9; }
  repeated int64 dims = 1;
  int32 data_type = 2;
  string name = 8;
  bytes raw_data = 9;
}
message TensorShapeProto {
  message Dimension { oneof value { int64 dim_value = 1; string dim_param = 2; } }
  repeated Dimension dim = 1;
}
message TypeProto {
  message Tensor { int32 elem_type = 1; TensorShapeProto shape = 2; }
  oneof value { Tensor tensor_type = 1; }
}
message OperatorSetIdProto { string domain = 1; int64 version = 2; }
`;

/** ONNX TensorProto.DataType values used by Tollgate's graphs. */
export const OnnxDataType = { FLOAT: 1, INT64: 7 } as const;
/** ONNX AttributeProto.AttributeType values used by Tollgate's graphs. */
export const OnnxAttributeType = { FLOAT: 1, INT: 2, INTS: 7 } as const;

/** Plain-object shapes accepted by {@link encodeOnnxModel} (field names as in onnx.proto). */
export interface OnnxAttribute { name: string; type: number; f?: number; i?: number; ints?: number[] }
export interface OnnxNode { input: string[]; output: string[]; name: string; opType: string; attribute?: OnnxAttribute[] }
export interface OnnxTensor { name: string; dims: number[]; dataType: number; rawData: Uint8Array }
export interface OnnxValueInfo { name: string; elemType: number; shape: (number | string)[] }
export interface OnnxGraph {
  name: string;
  node: OnnxNode[];
  initializer: OnnxTensor[];
  input: OnnxValueInfo[];
  output: OnnxValueInfo[];
}
export interface OnnxModel {
  irVersion: number;
  opset: number;
  producerName: string;
  producerVersion: string;
  docString: string;
  graph: OnnxGraph;
  metadata: Record<string, string>;
}

function valueInfo(v: OnnxValueInfo): Record<string, unknown> {
  const dim = v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name: v.name, type: { tensorType: { elemType: v.elemType, shape: { dim } } } };
}

/** Serialises a model to the ONNX wire format. */
export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const root = loadProtobuf().parse(ONNX_SUBSET_PROTO, { keepCase: false }).root;
  const ModelProto = root.lookupType('onnx.ModelProto');
  const message = {
    irVersion: model.irVersion,
    opsetImport: [{ domain: '', version: model.opset }],
    producerName: model.producerName,
    producerVersion: model.producerVersion,
    docString: model.docString,
    metadataProps: Object.entries(model.metadata).map(([key, value]) => ({ key, value })),
    graph: {
      name: model.graph.name,
      node: model.graph.node.map((n) => ({ ...n, domain: '' })),
      initializer: model.graph.initializer,
      input: model.graph.input.map(valueInfo),
      output: model.graph.output.map(valueInfo),
    },
  };
  const error = ModelProto.verify(message);
  if (error) throw new Error(`invalid ONNX model message: ${error}`);
  return ModelProto.encode(ModelProto.fromObject(message)).finish();
}
