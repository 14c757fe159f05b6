package zstack

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
)

// Task progress (GetTaskProgress): the progress reports a job's task made while it ran, kept as
// long as the job (broker.ProgressLog). apiId is the job's uuid, which is its task's id.

// taskProgressInventory is ZStack's TaskProgressInventory. Every report is of type "Progress",
// whose content is the percentage done, as in ZStack's own progress reports. The step the task
// was in is its one sub-task, of type "Task" with the step's description as content (ZStack's
// kind for a step); a task of several steps (the clones of a clone request) also says which one
// it was in. opaque stays null: the ZStack Go SDK cannot decode anything else into it.
type taskProgressInventory struct {
	TaskUUID    string                  `json:"taskUuid"`
	TaskName    string                  `json:"taskName"`
	ParentUUID  string                  `json:"parentUuid,omitempty"`
	Type        string                  `json:"type"`
	Content     string                  `json:"content"`
	Opaque      map[string]any          `json:"opaque,omitempty"`
	Time        int64                   `json:"time"`
	TotalSteps  int                     `json:"totalSteps,omitempty"`
	CurrentStep int                     `json:"currentStep,omitempty"`
	SubTasks    []taskProgressInventory `json:"subTasks,omitempty"`
}

// vmMsgPackage is the Java package of ZStack's VM API messages.
const vmMsgPackage = "org.zstack.header.vm."

// taskNames are the ZStack API messages whose work each broker task type does.
var taskNames = map[string]string{
	broker.TypeVMClone:     vmMsgPackage + "APICloneVmInstanceMsg",
	broker.TypeVMCreate:    vmMsgPackage + "APICreateVmInstanceMsg",
	broker.TypeVMDestroy:   vmMsgPackage + "APIDestroyVmInstanceMsg",
	broker.TypeVMRecover:   vmMsgPackage + "APIRecoverVmInstanceMsg",
	broker.TypeVMExpunge:   vmMsgPackage + "APIExpungeVmInstanceMsg",
	broker.TypeVMList:      vmMsgPackage + "APIQueryVmInstanceMsg",
	broker.TypeVMISOs:      vmMsgPackage + "APIGetCandidateIsoForAttachingVmMsg",
	broker.TypeVMDiskInfo:  "org.zstack.header.volume.APIQueryVolumeMsg",
	broker.TypeImageList:   "org.zstack.header.image.APIQueryImageMsg",
	broker.TypeHostList:    "org.zstack.header.allocator.APIGetCpuMemoryCapacityMsg",
	broker.TypeNetworkList: "org.zstack.header.network.l3.APIQueryL3NetworkMsg",
	broker.TypeStorageList: "org.zstack.header.storage.primary.APIQueryPrimaryStorageMsg",
}

// powerMsgs are the messages of a power task, by its operation.
var powerMsgs = map[model.PowerOp]string{
	model.PowerOn:  vmMsgPackage + "APIStartVmInstanceMsg",
	model.PowerOff: vmMsgPackage + "APIStopVmInstanceMsg",
	model.Shutdown: vmMsgPackage + "APIStopVmInstanceMsg",
	model.Reboot:   vmMsgPackage + "APIRebootVmInstanceMsg",
	model.Reset:    vmMsgPackage + "APIRebootVmInstanceMsg",
}

// taskName names a task as ZStack names the API message that started it. An API the dialect
// answers itself (accept) is named by its API; a task type with no ZStack counterpart keeps
// the broker's type name.
func taskName(spec broker.TaskSpec) string {
	if api, ok := strings.CutPrefix(spec.Type, apiTypePrefix); ok {
		return "API" + api + "Msg"
	}
	if spec.Type == broker.TypeVMPower {
		var args struct {
			Op model.PowerOp `json:"op"`
		}
		if json.Unmarshal(spec.Args, &args) == nil {
			if n, ok := powerMsgs[args.Op]; ok {
				return n
			}
		}
	}
	if n, ok := taskNames[spec.Type]; ok {
		return n
	}
	return spec.Type
}

// taskProgress is GET /zstack/v1/task-progresses/{apiId}?all=: the job's latest progress report
// (all=false, the default), or every report oldest first (all=true). A job that has reported
// nothing yet answers no inventories; one the caller cannot see, or that expired, is a 404 as
// for api-jobs.
func (s *Server) taskProgress(c *gin.Context) {
	all := false
	params, err := requestParams(c)
	if err != nil {
		fail(c, err)
		return
	}
	if v := params["all"]; len(v) > 0 {
		b, err := strconv.ParseBool(v[len(v)-1])
		if err != nil {
			fail(c, model.Errorf(model.ErrInvalid, "invalid query parameter: all must be true or false, got %q", shorten(v[len(v)-1])))
			return
		}
		all = b
	}
	id, err := jobID(c, "apiId")
	if err != nil {
		fail(c, err)
		return
	}
	t, events, err := s.b.TaskProgress(c.Request.Context(), callerOf(c), id)
	if err != nil {
		fail(c, jobError(id, err))
		return
	}
	if !all && len(events) > 1 {
		events = events[len(events)-1:]
	}
	name := taskName(t.Spec)
	invs := make([]taskProgressInventory, 0, len(events))
	for _, e := range events {
		inv := taskProgressInventory{TaskUUID: t.ID, TaskName: name, Type: "Progress",
			Content: strconv.Itoa(e.Percent), Time: e.At.UnixMilli(), TotalSteps: e.Total, CurrentStep: e.Current}
		if e.Step != "" {
			inv.SubTasks = []taskProgressInventory{{TaskUUID: t.ID, TaskName: name, ParentUUID: t.ID,
				Type: "Task", Content: e.Step, Time: inv.Time}}
		}
		invs = append(invs, inv)
	}
	c.JSON(http.StatusOK, gin.H{"inventories": invs})
}
