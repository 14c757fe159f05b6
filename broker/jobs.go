package broker

import (
	"cmp"
	"context"
	"slices"
)

// Target is the provider resource a task works on, by native id: a VM, a template, an image.
// Resources are matched by (provider, native id) rather than by broker uuid because one native
// object can have several broker ids: a vCenter template is a VM (VMUUID) and an image
// (ImageUUID), and a task on the template VM is a job on the image.
type Target struct {
	Provider string
	NativeID string
}

// TargetOf returns the resource a task targets; listings and other provider-wide tasks have none.
func TargetOf(spec TaskSpec) (Target, bool) {
	if spec.Provider == "" || spec.NativeID == "" {
		return Target{}, false
	}
	return Target{Provider: spec.Provider, NativeID: spec.NativeID}, true
}

// JobIndex is the TaskQueue's part that finds the unfinished (pending, running or retrying) tasks that target resources. The queue package
// keeps the index in Redis from Submit on, so every broker replica and agent sees the same jobs.
type JobIndex interface {
	// Jobs returns, for each target with unfinished tasks, those tasks; targets without any
	// are absent from the map.
	Jobs(ctx context.Context, targets []Target) (map[Target][]Task, error)
}

// attachJobs sets the Job of each image that an unfinished task targets.
func (b *Broker) attachJobs(ctx context.Context, imgs []ImageEntry) error {
	if len(imgs) == 0 {
		return nil
	}
	targets := make([]Target, len(imgs))
	for i, img := range imgs {
		targets[i] = Target{Provider: img.Provider, NativeID: img.NativeID}
	}
	jobs, err := b.tasks.Jobs(ctx, targets)
	if err != nil {
		return err
	}
	for i := range imgs {
		imgs[i].Job = oldest(jobs[targets[i]])
	}
	return nil
}

// oldest picks the job to show when several tasks target one resource: the one submitted
// first, which is the one the others queue behind.
func oldest(ts []Task) *Task {
	if len(ts) == 0 {
		return nil
	}
	t := slices.MinFunc(ts, func(a, b Task) int {
		return cmp.Or(a.InsertTime.Compare(b.InsertTime), cmp.Compare(a.ID, b.ID))
	})
	return &t
}
