package vcproxy

import (
	"encoding/json"
	"fmt"
	"strconv"

	"cloudbroker/adapters"
	"cloudbroker/broker"
	"cloudbroker/broker/model"
)

// okBody is the dialect's success shape.
type okBody struct {
	Errcode string `json:"errcode"`
	Errmsg  string `json:"errmsg"`
	Data    any    `json:"data"`
}

func ok(data any) okBody { return okBody{Errcode: "200", Errmsg: "ok", Data: data} }

// envelope is a task as the vcproxy sample shows it; times are unix seconds.
type envelope struct {
	TaskID     string  `json:"TaskID"`
	Describe   string  `json:"Describe"`
	Clientid   string  `json:"Clientid"`
	Content    content `json:"Content"`
	InsertTime int64   `json:"InsertTime"`
	UpdateTime int64   `json:"UpdateTime"`
	ExpireTime int64   `json:"ExpireTime"`
}

type content struct {
	Task taskStatus `json:"task"`
	VM   *vmContent `json:"vm,omitempty"`
}

type taskStatus struct {
	EventName   string `json:"event_name"`
	TaskErrcode string `json:"task_errcode"`
	TaskErrmsg  string `json:"task_errmsg"`
	// Progress is a running task's percent done and step, when its operation reports one
	// (clones do): a cloudbroker addition, absent otherwise.
	Progress *progress `json:"progress,omitempty"`
	// PowerOutcome is how a succeeded power task changed the VM ("shut down by the guest",
	// "forced off after 60s: ...", "reset: VMware Tools not running"): a cloudbroker addition.
	PowerOutcome string `json:"power_outcome,omitempty"`
}

type progress struct {
	Percent int    `json:"percent"`
	Step    string `json:"step,omitempty"`
}

type vmContent struct {
	DiskList []disk `json:"disk_list,omitempty"`
	VMID     string `json:"vmid"`
}

// disk is one entry of disk_list; the sample writes every number as a string.
type disk struct {
	FileName      string `json:"fileName"`
	Key           string `json:"key"`
	Label         string `json:"label"`
	Summary       string `json:"summary"`
	UnitNumber    string `json:"unitNumber"`
	UUID          string `json:"uuid"`
	ControllerKey string `json:"controllerKey"`
	ScsiNumber    string `json:"scsiNumber"`
}

// eventNames names each task type's event.
var eventNames = map[string]string{
	broker.TypeVMDiskInfo: "EVENT_VM_DISKINFO",
	broker.TypeVMList:     "EVENT_VM_LIST",
	broker.TypeVMClone:    "EVENT_VM_CLONE",
	broker.TypeVMPower:    "EVENT_VM_POWER",
	broker.TypeVMCreate:   "EVENT_VM_CREATE",
	broker.TypeVMDestroy:  "EVENT_VM_DESTROY",
	broker.TypeVMRecover:  "EVENT_VM_RECOVER",
	broker.TypeVMExpunge:  "EVENT_VM_EXPUNGE",
}

// toEnvelope renders a task, pending or done. A pending task has task_errcode "202" and its
// state as task_errmsg; a failed one the code its error maps to.
func toEnvelope(t broker.Task) envelope {
	e := envelope{
		TaskID: t.ID, Describe: t.Describe, Clientid: t.Spec.ClientID,
		InsertTime: t.InsertTime.Unix(), UpdateTime: t.UpdateTime.Unix(), ExpireTime: t.ExpireTime.Unix(),
	}
	e.Content.Task.EventName = eventNames[t.Spec.Type]
	if t.Progress != nil {
		e.Content.Task.Progress = &progress{Percent: t.Progress.Percent, Step: t.Progress.Step}
	}
	switch t.State {
	case broker.TaskSucceeded:
		e.Content.Task.TaskErrcode, e.Content.Task.TaskErrmsg = "200", "success"
	case broker.TaskFailed, broker.TaskCanceled:
		_, e.Content.Task.TaskErrcode = status(t.Err)
		e.Content.Task.TaskErrmsg = adapters.PublicMessage(t.Err)
	case broker.TaskRetrying:
		e.Content.Task.TaskErrcode = "202"
		e.Content.Task.TaskErrmsg = fmt.Sprintf("retrying after %d failed attempt(s): %s", t.Retried, t.LastError)
	default:
		e.Content.Task.TaskErrcode, e.Content.Task.TaskErrmsg = "202", string(t.State)
	}
	if t.Spec.VMID != "" {
		e.Content.VM = &vmContent{VMID: t.Spec.VMID}
	}
	if t.State == broker.TaskSucceeded && t.Spec.Type == broker.TypeVMPower {
		if res, err := t.PowerResult(); err == nil {
			e.Content.Task.PowerOutcome = res.How
		}
	}
	if t.State == broker.TaskSucceeded && t.Spec.Type == broker.TypeVMDiskInfo {
		var res broker.DiskInfoResult
		if err := json.Unmarshal(t.Result, &res); err == nil {
			e.Content.VM.DiskList = toDisks(res.Disks)
		}
	}
	return e
}

func toDisks(ds []model.Disk) []disk {
	out := make([]disk, 0, len(ds))
	for _, d := range ds {
		out = append(out, disk{
			FileName: d.FileName, Key: itoa(d.Key), Label: d.Label, Summary: Summary(d.CapacityBytes),
			UnitNumber: itoa(d.UnitNumber), UUID: d.UUID, ControllerKey: itoa(d.ControllerKey), ScsiNumber: itoa(d.BusNumber),
		})
	}
	return out
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }

// Summary renders a capacity the way the sample does ("50 GB", "130 MB"): binary units, whole
// numbers where exact, else up to two decimals.
func Summary(bytes int64) string {
	units := []string{"B", "KB", "MB", "GB", "TB", "PB"}
	i, v := 0, float64(bytes)
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	s := strconv.FormatFloat(v, 'f', 2, 64)
	for s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	if s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s + " " + units[i]
}
