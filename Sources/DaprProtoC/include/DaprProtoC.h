// Umbrella header of the protoc-c stubs generated from Protos/ (see scripts/generate-protos.sh).
#include "dapr/proto/components/v1/common.pb-c.h"
#include "dapr/proto/components/v1/bindings.pb-c.h"
#include "grpc/reflection/v1alpha/reflection.pb-c.h"
