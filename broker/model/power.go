package model

// PowerOp is a power transition. Shutdown and Reboot ask the guest first and fall back to
// PowerOff and Reset, forced, when the guest cannot be asked (no tools, no agent) or does not
// act within the provider's bound; PowerOff and Reset force at once.
type PowerOp string

const (
	PowerOn  PowerOp = "start"
	PowerOff PowerOp = "stop"     // forced power-off at once (ZStack's "cold")
	Shutdown PowerOp = "shutdown" // guest shutdown, then forced off (ZStack's "grace")
	Reboot   PowerOp = "reboot"   // guest reboot, else reset
	Reset    PowerOp = "reset"    // hard reset at once
)

// PowerOps are the operations, in the order error messages list them.
var PowerOps = []PowerOp{PowerOn, PowerOff, Shutdown, Reboot, Reset}
