package mirror

import _ "embed"

// pauseSource is the pause program, built for each arch into the pause image.
//
//go:embed pause/main.go
var pauseSource []byte
