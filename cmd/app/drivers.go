package app

// Every driver registers itself; a process can run any provider its config names.
import (
	_ "cloudbroker/drivers/catalog"
	_ "cloudbroker/drivers/kvm"
	_ "cloudbroker/drivers/vcenter"
)
