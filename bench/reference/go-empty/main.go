// A proxy-wasm HTTP filter that does nothing, written with Go's own wasip1 port and
// go:wasmexport (no SDK): the ABI floor of another language next to bench-empty's.
package main

import "unsafe"

func main() {}

//go:wasmexport proxy_abi_version_0_2_1
func abiVersion() {}

// Envoy copies every value a host call returns into a block from the guest's allocator and
// requires the export. This filter makes no such call, so it is never used; the map keeps a block
// from being collected while the host writes into it.
var blocks = map[uintptr][]byte{}

//go:wasmexport malloc
func malloc(size uint32) uint32 {
	b := make([]byte, size)
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	blocks[p] = b
	return uint32(p)
}

//go:wasmexport proxy_on_context_create
func onContextCreate(contextID, parentID uint32) {}

//go:wasmexport proxy_on_vm_start
func onVMStart(rootID, size uint32) uint32 { return 1 }

//go:wasmexport proxy_on_configure
func onConfigure(rootID, size uint32) uint32 { return 1 }

//go:wasmexport proxy_on_request_headers
func onRequestHeaders(contextID, headers, endOfStream uint32) uint32 { return 0 }

//go:wasmexport proxy_on_response_headers
func onResponseHeaders(contextID, headers, endOfStream uint32) uint32 { return 0 }

//go:wasmexport proxy_on_log
func onLog(contextID uint32) {}

//go:wasmexport proxy_on_delete
func onDelete(contextID uint32) {}
