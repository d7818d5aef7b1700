"""What several commands share, one floor below `steps/`: the writing run (`run`), the
revision runner (`runner`), shadow builds (`build`), adoption (`adoption`), the models'
schema (`models`), coverage (`coverage`), the diff (`diff`), verification (`verify`) and the
gate's bookkeeping (`gate`). Engine modules return data and never print."""
