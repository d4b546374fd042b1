# Needs a builtin Meshward does not provide to Wasm policies (http.send: a blocking call on the
# check's thread): a bundle built from it must be refused at load, naming the builtin and why.
package needs

import rego.v1

default allow := false

allow if http.send({"method": "GET", "url": "http://127.0.0.1:1/"}).status_code == 200
